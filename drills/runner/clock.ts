import { now } from '../../core/clock.ts';

export { now };

/** Resolves at wall-clock `at` (at once if past); rejects when `signal` aborts first. */
export function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  return sleep(at - now(), signal);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The first event in `events` (a live, growing list) at or after `since` that matches, polled
 * every 10 ms; undefined after `timeoutMs`. Rejects when `signal` aborts.
 */
export async function waitForEvent<E extends { at: number }>(
  events: ReadonlyArray<E>,
  match: (event: E) => boolean,
  since: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<E | undefined> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const found = events.find((e) => e.at >= since && match(e));
    if (found) return found;
    if (now() >= deadline) return undefined;
    await sleep(10, signal);
  }
}
