import type { Command } from 'commander';
import { FaultlineError } from '../../balancer/index.ts';
import { ToxicProxyServer } from '../../chaos/toxic-proxy/index.ts';
import { onShutdownSignal } from '../signals.ts';

const PROXY = /^([A-Za-z0-9_.-]+)=([^=]+)=([^=]+)$/;

/**
 * The toxic proxy as a service of its own (the compose stack's `toxiproxy` service): the
 * proxies given on the command line, and the HTTP control API `faultline chaos` talks to.
 */
export function registerToxicProxyCommand(program: Command): void {
  program
    .command('toxic-proxy')
    .description('run the toxic proxy as a service: proxies plus the HTTP control API')
    .requiredOption('--control <host:port>', 'control API address (e.g. 0.0.0.0:8474)')
    .option(
      '--proxy <name=listen=upstream>',
      'a proxy, e.g. app1=0.0.0.0:21001=app1:8080 (repeatable)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .action(async (options: { control: string; proxy: string[] }) => {
      const control = /^(.+):(\d{1,5})$/.exec(options.control);
      if (!control) {
        throw new FaultlineError('FL_USAGE', `--control must be host:port (got "${options.control}")`);
      }
      const server = new ToxicProxyServer();
      try {
        for (const spec of options.proxy) {
          const m = PROXY.exec(spec);
          if (!m)
            throw new FaultlineError('FL_USAGE', `--proxy must be name=listen=upstream (got "${spec}")`);
          const info = await server.createProxy({
            name: m[1] as string,
            listen: m[2] as string,
            upstream: m[3] as string,
          });
          process.stdout.write(`${JSON.stringify({ kind: 'proxy', ...info })}\n`);
        }
        const host = control[1] as string;
        const api = await server.listenControl({
          host,
          port: Number(control[2]),
          allowRemote: !['127.0.0.1', '::1', 'localhost'].includes(host),
        });
        process.stdout.write(`${JSON.stringify({ kind: 'listening', control: api.url })}\n`);
      } catch (err) {
        await server.close();
        if (err instanceof FaultlineError) throw err;
        throw new FaultlineError('FL_LISTEN_FAILED', `toxic proxy: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await onShutdownSignal(async () => {
        await server.close();
      });
    });
}
