import { Command } from 'commander';
import { exitCodeFor } from './exit-codes.ts';

/** The `faultline` program with its shared behaviour: one-line errors, no exit from commander. */
export function createProgram(): Command {
  return new Command()
    .name('faultline')
    .description('Chaos-engineering and failover drills around a built-in HTTP load balancer')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      outputError: (text, write) => write(text.startsWith('error:') ? `faultline: ${text}` : text),
    });
}

export async function runProgram(program: Command): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    // One message and the exit code its error code maps to (docs/errors.md); 70 for a bug.
    process.exitCode = exitCodeFor(err);
  }
}
