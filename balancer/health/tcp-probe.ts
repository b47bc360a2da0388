import { connect } from 'node:net';
import { cachedLookup } from '../../core/net/cached-lookup.ts';
import { describeError, type ProbeResult, runProbe } from './probe-result.ts';

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
  return runProbe(timeoutMs, signal, (finish) => {
    const socket = connect({ host, port, lookup: cachedLookup });
    socket.once('connect', () => finish(true, 'connected'));
    socket.once('error', (err) => finish(false, describeError(err, 'connect')));
    return () => socket.destroy();
  });
}
