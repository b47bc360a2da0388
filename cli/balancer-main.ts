// `faultline balancer` alone (bin/faultline.js picks it for that command): a long-running
// balancer does not load the drill, chaos and Docker libraries the other commands need.
import { registerBalancerCommand } from './commands/balancer.ts';
import { createProgram, runProgram } from './program.ts';

const program = createProgram();
registerBalancerCommand(program);
await runProgram(program);
