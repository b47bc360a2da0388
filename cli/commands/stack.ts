import type { Command } from 'commander';
import { stackStatePath } from '../../chaos/targets/stack-state.ts';
import { FaultlineError } from '../../core/errors.ts';
import { LocalServices, type ServiceOutcome } from '../../stack/index.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);

const ACTIONS = ['status', 'stop', 'start', 'restart'] as const;
type Action = (typeof ACTIONS)[number];

/**
 * `faultline stack status|stop|start|restart <service>`: for the local stack's processes what
 * `docker compose ps|stop|start|restart` does for containers, so one runbook runs on both.
 */
export function registerStackCommand(program: Command): void {
  program
    .command('stack')
    .description(
      'show, stop, start or restart a service of the running local stack (as docker compose does for containers)',
    )
    .argument('<action>', `one of ${ACTIONS.join(', ')}`)
    .argument('[service]', 'e.g. app1, balancer (status: all when omitted)')
    .option('--stack <file>', 'local stack state file (default $FAULTLINE_STACK or .faultline/stack.json)')
    .action(async (action: string, service: string | undefined, options: { stack?: string }) => {
      if (!ACTIONS.includes(action as Action)) {
        throw new FaultlineError(
          'FL_USAGE',
          `unknown stack action "${action}" (actions: ${ACTIONS.join(', ')})`,
        );
      }
      const services = new LocalServices(stackStatePath(options.stack));
      if (action === 'status') {
        const rows = services.status(service);
        for (const s of rows) {
          write(
            `${s.name.padEnd(10)} ${s.state.padEnd(8)} ${s.pid === undefined ? '-'.padEnd(8) : String(s.pid).padEnd(8)} ${s.url}`,
          );
        }
        return;
      }
      if (service === undefined) {
        throw new FaultlineError('FL_USAGE', `usage: faultline stack ${action} <service>`);
      }
      const outcome: ServiceOutcome = await services[action as Exclude<Action, 'status'>](service);
      write(`${service}: ${outcome}`);
    });
}
