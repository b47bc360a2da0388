import type { Command } from 'commander';
import {
  isLoopbackHost,
  parseHostPort,
  TOXIC_TOKEN_ENV,
  ToxicProxyError,
  ToxicProxyServer,
} from '../../chaos/toxic-proxy/index.ts';
import { FaultlineError } from '../../core/errors.ts';
import { onShutdownSignal } from '../signals.ts';

const PROXY = /^([A-Za-z0-9_.-]+)=([^=]+)=([^=]+)$/;
const DEFAULT_CONTROL = '127.0.0.1:8474';

interface ToxicProxyOptions {
  control: string;
  proxy: string[];
  upstream: string[];
  token?: string;
  allowRemote?: boolean;
  allowRemoteListen?: boolean;
}

const repeatable = (value: string, all: string[]) => [...all, value];

/**
 * The toxic proxy as a service of its own (the compose stack's `toxiproxy` service): the
 * proxies given on the command line, and the HTTP control API `faultline chaos` talks to.
 */
export function registerToxicProxyCommand(program: Command): void {
  program
    .command('toxic-proxy')
    .description('run the toxic proxy as a service: proxies plus the HTTP control API')
    .option(
      '--control <host:port>',
      'control API address; a non-loopback one needs a token or an opt-in',
      DEFAULT_CONTROL,
    )
    .option(
      '--proxy <name=listen=upstream>',
      'a proxy, e.g. app1=0.0.0.0:21001=app1:8080 (repeatable)',
      repeatable,
      [],
    )
    .option(
      '--upstream <host:port>',
      'one more upstream new proxies may use besides loopback and those of --proxy (repeatable)',
      repeatable,
      [],
    )
    .option(
      '--token <token>',
      `callers must send Authorization: Bearer <token> (default $${TOXIC_TOKEN_ENV})`,
    )
    .option(
      '--allow-remote-listen',
      'serve the control API on a non-loopback --control without a token (a container port published on loopback); callers still need a loopback Host',
    )
    .option(
      '--allow-remote',
      'trust the network: a non-loopback --control without a token, and new proxies with any listen address and upstream',
    )
    .action(async (options: ToxicProxyOptions) => {
      const control = parseControl(options.control);
      const token = options.token ?? (process.env[TOXIC_TOKEN_ENV] || undefined);
      if (!token && !options.allowRemote && !options.allowRemoteListen && !isLoopbackHost(control.host)) {
        throw new FaultlineError(
          'FL_USAGE',
          `--control ${options.control} is not a loopback address, and the control API can cut any backend off. ` +
            `Set a token (--token or ${TOXIC_TOKEN_ENV}), or pass --allow-remote-listen (the port is published ` +
            'on loopback only) or --allow-remote (a network you trust); or listen on 127.0.0.1.',
        );
      }
      for (const upstream of options.upstream) usage(() => parseHostPort(upstream, '--upstream', 1));
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
        const api = await server.listenControl({
          ...control,
          upstreams: options.upstream,
          ...(token ? { token } : {}),
          ...(options.allowRemote ? { allowRemote: true } : {}),
          ...(options.allowRemoteListen ? { allowRemoteListen: true } : {}),
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

function parseControl(value: string): { host: string; port: number } {
  return usage(() => parseHostPort(value, '--control', 0));
}

/** A ToxicProxyError about a flag's value becomes a usage error. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ToxicProxyError) throw new FaultlineError('FL_USAGE', err.message);
    throw err;
  }
}
