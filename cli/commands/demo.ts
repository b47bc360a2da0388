import type { Command } from 'commander';
import { describeEvent } from '../../balancer/index.ts';
import { runFailoverPreview } from '../demo/failover-preview.ts';
import { LocalStack, SAMPLE_STACK } from '../demo/local-stack.ts';
import { EXIT } from '../exit-codes.ts';
import { onShutdownSignal } from '../signals.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);

export function registerDemoCommand(program: Command): void {
  program
    .command('drill')
    .description('run the built-in failover drill on the embedded local stack (no Docker needed)')
    .action(async () => {
      const outcome = await runFailoverPreview(write);
      process.exitCode = outcome.ok ? EXIT.ok : EXIT.slaBreach;
    });

  program
    .command('demo')
    .description('start the local stack (3 sample backends + balancer) and keep it up until Ctrl-C')
    .action(async () => {
      const stack = await LocalStack.start({ backends: SAMPLE_STACK });
      stack.balancer.events.subscribe((e) => write(`${new Date(e.at).toISOString()}  ${describeEvent(e)}`));
      write(`balancer   ${stack.url}   (try: curl -i ${stack.url}/)`);
      write(`admin API  ${stack.balancer.adminUrl}/pools   events: ${stack.balancer.adminUrl}/events`);
      for (const b of stack.backends.values()) write(`backend    ${b.name} ${b.url} (pid ${b.pid})`);
      write(
        'kill or freeze a backend by pid (kill -STOP <pid>) and watch the events; Ctrl-C stops everything',
      );
      await onShutdownSignal(async () => {
        write('stopping...');
        await stack.stop();
      });
    });
}
