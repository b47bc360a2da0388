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
