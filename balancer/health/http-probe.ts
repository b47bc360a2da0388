import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { cachedLookup } from '../../core/net/cached-lookup.ts';
import type { HttpHealthConfig } from '../config/types.ts';
import { describeError, type ProbeResult, runProbe, socketHost, socketPort } from './probe-result.ts';

type HttpProbeConfig = Pick<HttpHealthConfig, 'path' | 'expectStatus' | 'timeout'>;

/**
 * One HTTP health probe: `GET <base path><cfg.path>` on a fresh connection (no agent, `Connection: close`).
 * Connect, response headers and draining the body are bounded together by `cfg.timeout`; on timeout or
 * abort the socket is destroyed. Healthy when the status is within `cfg.expectStatus` (inclusive) and the
 * body arrived completely. Never rejects; every failure is `ok: false` with a reason.
 */
export function probeHttp(
  base: URL,
  cfg: HttpProbeConfig,
  signal?: AbortSignal,
  tls: { ca?: string; rejectUnauthorized?: boolean; servername?: string } = {},
): Promise<ProbeResult> {
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = `${prefix}${cfg.path.startsWith('/') ? '' : '/'}${cfg.path}`;
  const request = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return runProbe(cfg.timeout, signal, (finish) => {
    let connected = false;
    const req = request({
      host: socketHost(base),
      port: socketPort(base),
      path,
      method: 'GET',
      agent: false,
      lookup: cachedLookup,
      ...(base.protocol === 'https:' ? tls : {}),
      headers: { host: base.host, connection: 'close', 'user-agent': 'faultline-health/1' },
    });
    req.once('socket', (socket) => socket.once('connect', () => (connected = true)));
    req.once('error', (err) => finish(false, describeError(err, connected ? 'response' : 'connect')));
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      const { min, max } = cfg.expectStatus;
      const inRange = status >= min && status <= max;
      const verdict = inRange ? `HTTP ${status}` : `HTTP ${status} (expected ${min}-${max})`;
      res.once('end', () => finish(inRange, verdict));
      res.once('error', (err) => finish(false, `${verdict}, body ${describeError(err)}`));
      res.once('close', () => finish(false, `${verdict}, body incomplete`));
      res.resume();
    });
    req.end();
    return () => req.destroy();
  });
}
