/** The outcome of one health probe. Probes never throw: every failure is `ok: false` with a reason. */
export interface ProbeResult {
  ok: boolean;
  /** From probe start until the verdict (for a timeout: the timeout itself). */
  latencyMs: number;
  /** Human text: `HTTP 200`, `HTTP 503 (expected 200-399)`, `timeout after 500ms`, `connect ECONNREFUSED`. */
  reason: string;
}

/** `URL.hostname` keeps IPv6 brackets (`[::1]`); sockets want the bare address. */
export function socketHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The port a URL points at, filling in the scheme's default. */
export function socketPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** `connect ECONNREFUSED`, `ECONNRESET`, or the message when there is no code. */
export function describeError(err: unknown, phase?: string): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const what = e?.code ?? e?.message ?? String(err);
  return phase ? `${phase} ${what}` : what;
}

/**
 * Calls `onTimeout` once `timeoutMs` has passed, but only after the event loop has read the I/O
 * that arrived meanwhile. Node runs due timers before it polls sockets, so after a stall of this
 * process (GC, a busy host, a container start) a probe whose answer is already in its socket
 * would otherwise be judged a timeout, and a few such false timeouts mark a healthy server down.
 * Two loop turns (poll, then check) before the verdict. Returns the function that cancels it.
 */
export function probeDeadline(timeoutMs: number, onTimeout: () => void): () => void {
  let cancelled = false;
  const timer = setTimeout(() => {
    setImmediate(() => {
      if (!cancelled) setImmediate(() => !cancelled && onTimeout());
    });
  }, timeoutMs);
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

/** Reports a probe's verdict; the first call wins. */
export type ProbeVerdict = (ok: boolean, reason: string) => void;

/**
 * One probe from start to verdict: `start` begins it and returns what tears it down (destroy its
 * socket). The verdict comes once, from `start`'s own `finish`, the deadline, or `signal`.
 */
export function runProbe(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  start: (finish: ProbeVerdict) => () => void,
): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ ok: false, latencyMs: 0, reason: 'aborted' });
    let done = false;
    let teardown: (() => void) | undefined;
    const finish: ProbeVerdict = (ok, reason) => {
      if (done) return;
      done = true;
      cancelDeadline();
      signal?.removeEventListener('abort', onAbort);
      teardown?.();
      resolve({ ok, latencyMs: performance.now() - started, reason });
    };
    const onAbort = (): void => finish(false, 'aborted');
    const cancelDeadline = probeDeadline(timeoutMs, () => finish(false, `timeout after ${timeoutMs}ms`));
    signal?.addEventListener('abort', onAbort, { once: true });
    teardown = start(finish);
    if (done) teardown();
  });
}
