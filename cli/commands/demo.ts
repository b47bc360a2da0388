import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { describeEvent } from '../../balancer/index.ts';
import { stackStatePath } from '../../chaos/targets/stack-state.ts';
import { LocalStack, loadStackConfig, SAMPLE_STACK, stackUrl } from '../../stack/index.ts';
import { onShutdownSignal } from '../signals.ts';

const write = (line: string) => process.stdout.write(`${line}\n`);

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'start the local stack (3 sample backends behind toxic proxies and the balancer) until Ctrl-C',
    )
    .option(
      '--state <file>',
      'where to publish the stack for `faultline chaos` (default .faultline/stack.json)',
    )
    .option('--no-proxies', 'no toxic proxies between the balancer and the backends (no network faults)')
    .option(
      '-c, --config <file>',
      'stack file: backends, proxies, balancer settings (see examples/stack.yaml)',
    )
    .action(async (options: { state?: string; proxies: boolean; config?: string }) => {
      const stateFile = stackStatePath(options.state);
      const described = options.config ? await loadStackConfig(options.config) : undefined;
      const { pool, ...balancerSettings } = described?.balancer ?? {};
      const stack = await LocalStack.start({
        backends: described?.backends ?? SAMPLE_STACK,
        proxies: options.proxies && (described?.proxies ?? true),
        stateFile,
        ...(pool ? { pool } : {}),
        config: balancerSettings,
        protocol: described?.protocol,
      });
      // Listening for SIGTERM before the banner: whoever reads it may stop the demo at once.
      const stopped = onShutdownSignal(async () => {
        write('stopping...');
        await stack.stop();
        rmSync(stateFile, { force: true });
      });
      stack.subscribe((e) => write(`${new Date(e.at).toISOString()}  ${describeEvent(e)}`));
      const address = new URL(stack.url);
      const tryIt = stack.url.startsWith('tcp:')
        ? `nc ${address.hostname} ${address.port}`
        : `curl -i ${stack.url}/`;
      write(`balancer   ${stack.url} (pid ${stack.balancerProcess?.pid})   try: ${tryIt}`);
      write(`admin API  ${stack.adminUrl}/pools   events: ${stack.adminUrl}/events`);
      for (const name of stack.backends) {
        const b = stack.backend(name);
        const url = stackUrl(b.url, described?.protocol);
        write(`backend    ${b.name} ${url} (pid ${b.pid})`);
      }
      if (stack.proxyControlUrl) write(`proxies    ${stack.proxyControlUrl}/proxies`);
      write(`stack      ${stateFile}`);
      write(
        'try: faultline chaos pause app1 --for 10s   |   faultline chaos latency app2 -p latency=300ms --for 10s',
      );
      await stopped;
    });
}
