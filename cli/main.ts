import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { FaultlineError } from '../core/errors.ts';
import { registerBalancerCommand } from './commands/balancer.ts';
import { registerChaosCommands } from './commands/chaos.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDrillCommand } from './commands/drill.ts';
import { registerToxicProxyCommand } from './commands/toxic-proxy.ts';
import { EXIT } from './exit-codes.ts';

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
registerToxicProxyCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeFor(err);
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof InvalidArgumentError) return EXIT.usage;
  if (err instanceof FaultlineError) {
    process.stderr.write(`faultline: ${err.message} [${err.code}]\n`);
    return err.code === 'FL_USAGE' ? EXIT.usage : EXIT.error;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`faultline: unexpected internal error (please report it):\n${message}\n`);
  return EXIT.internal;
}
