import { connect } from 'node:net';
import { cachedLookup } from '../../core/net/cached-lookup.ts';
import { describeError, type ProbeResult, probeDeadline } from './probe-result.ts';

/**
 * Opens a TCP connection and closes it again; ok when the handshake completes within `timeoutMs`.
 *
 * Limitation: a process frozen with SIGSTOP (or hung in user space) still completes TCP handshakes,
 * because the kernel accepts connections into the listen backlog on its behalf. A tcp check therefore
 * does NOT detect a frozen or wedged server, only a dead one (refused) or an unreachable host; use an
 * http check, which needs the process itself to answer, to detect a freeze.
 */
export function probeTcp(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ ok: false, latencyMs: 0, reason: 'aborted' });
    const socket = connect({ host, port, lookup: cachedLookup });
    let done = false;
    const finish = (ok: boolean, reason: string): void => {
      if (done) return;
      done = true;
      cancelDeadline();
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ ok, latencyMs: performance.now() - started, reason });
    };
    const onAbort = (): void => finish(false, 'aborted');
    const cancelDeadline = probeDeadline(timeoutMs, () => finish(false, `timeout after ${timeoutMs}ms`));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(true, 'connected'));
    socket.once('error', (err) => finish(false, describeError(err, 'connect')));
  });
}
