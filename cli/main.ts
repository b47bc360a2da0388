import { registerBalancerCommand } from './commands/balancer.ts';
import { registerChaosCommands } from './commands/chaos.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDrillCommand } from './commands/drill.ts';
import { registerHistoryCommand } from './commands/history.ts';
import { registerRunbookCommand } from './commands/runbook.ts';
import { registerScheduleCommand } from './commands/schedule.ts';
import { registerStackCommand } from './commands/stack.ts';
import { registerToxicProxyCommand } from './commands/toxic-proxy.ts';
import { createProgram, runProgram } from './program.ts';

const program = createProgram();
registerBalancerCommand(program);
registerDrillCommand(program);
registerDemoCommand(program);
registerChaosCommands(program);
registerStackCommand(program);
registerRunbookCommand(program);
registerToxicProxyCommand(program);
registerHistoryCommand(program);
registerScheduleCommand(program);

await runProgram(program);
