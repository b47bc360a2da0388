import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TargetMode = 'ok' | 'fail' | 'hang';

/** A port-0 HTTP server for health tests: switchable answer, request and concurrency counters. */
export interface ProbeTarget {
  url: string;
  port: number;
  mode: TargetMode;
  /** Status sent in 'ok' mode (default 200); 'fail' always sends 500. */
  okStatus: number;
  requests: number;
  inflight: number;
  maxInflight: number;
  /** Requests whose connection closed before an answer was sent (e.g. the prober gave up). */
  abandoned: number;
  userAgents: string[];
  close(): Promise<void>;
}

export async function startProbeTarget(): Promise<ProbeTarget> {
  const server: Server = createServer((req, res) => {
    t.requests++;
    t.inflight++;
    t.maxInflight = Math.max(t.maxInflight, t.inflight);
    t.userAgents.push(req.headers['user-agent'] ?? '');
    res.once('close', () => {
      t.inflight--;
      if (!res.writableFinished) t.abandoned++;
    });
    if (t.mode === 'hang') return;
    res.statusCode = t.mode === 'ok' ? t.okStatus : 500;
    res.end(t.mode === 'ok' ? 'ok' : 'broken');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const t: ProbeTarget = {
    url: `http://127.0.0.1:${port}`,
    port,
    mode: 'ok',
    okStatus: 200,
    requests: 0,
    inflight: 0,
    maxInflight: 0,
    abandoned: 0,
    userAgents: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return t;
}

/** A port that was just bound and released: connecting to it is refused. */
/** A port that refuses connections (see test/fixtures/ports.ts for why not a freed ephemeral one). */
export { refusingPort as closedPort } from '../../test/fixtures/ports.ts';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `vi.waitFor` options: give up after `timeout` ms, checking every 10 ms. The timeout is often the
 * detection bound under test; a coarser interval would quietly tighten it.
 */
export const within = (timeout: number) => ({ timeout, interval: 10 });
