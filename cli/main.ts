import { Command } from 'commander';
import { registerBalancerCommand } from './commands/balancer.ts';
import { registerChaosCommands } from './commands/chaos.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDrillCommand } from './commands/drill.ts';
import { registerHistoryCommand } from './commands/history.ts';
import { registerRunbookCommand } from './commands/runbook.ts';
import { registerScheduleCommand } from './commands/schedule.ts';
import { registerStackCommand } from './commands/stack.ts';
import { registerToxicProxyCommand } from './commands/toxic-proxy.ts';
import { exitCodeFor } from './exit-codes.ts';

const program = new Command()
  .name('faultline')
  .description('Chaos-engineering and failover drills around a built-in HTTP load balancer')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({
    outputError: (text, write) => write(text.startsWith('error:') ? `faultline: ${text}` : text),
  });

registerBalancerCommand(program);
registerDrillCommand(program);
registerDemoCommand(program);
registerChaosCommands(program);
registerStackCommand(program);
registerRunbookCommand(program);
registerToxicProxyCommand(program);
registerHistoryCommand(program);
registerScheduleCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // One message and the exit code its error code maps to (docs/errors.md); 70 for a bug.
  process.exitCode = exitCodeFor(err);
}
