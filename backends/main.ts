/**
 * Process entry point of the sample backend: `node --import tsx backends/main.ts`.
 *
 * Configured by env (see README.md). Prints one JSON line to stdout when listening,
 *   {"event":"listening","name":"app1","host":"127.0.0.1","port":43123,"pid":123}
 * a `draining` line when a signal arrived (new connections are refused from then on) and a
 * `stopped` line at the end. SIGTERM/SIGINT drain gracefully and exit 0, or exit 1 when
 * SHUTDOWN_TIMEOUT_MS passes first; a second signal exits 1 at once.
 * Exit 2: invalid environment (one message on stderr naming the variable).
 */
import { whenParentGone } from '../core/exit-with-parent.ts';
import { EnvError, readBackendEnv } from './env.ts';
import { type RunningSampleBackend, startSampleBackend } from './sample-backend.ts';
import { startTcpEcho } from './tcp-echo.ts';

const EXIT_OK = 0;
const EXIT_ERROR = 1;
const EXIT_BAD_ENV = 2;

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function fail(message: string, code: number): never {
  process.stderr.write(`sample backend: ${message}\n`);
  process.exit(code);
}

let config: ReturnType<typeof readBackendEnv>;
try {
  config = readBackendEnv(process.env);
} catch (err) {
  if (err instanceof EnvError) fail(`invalid environment: ${err.message}`, EXIT_BAD_ENV);
  throw err;
}
const { name, host, port, knobs, shutdownTimeoutMs, protocol } = config;

/** What the entry point needs of either backend: where it listens, what is open, a graceful stop. */
interface Running {
  port: number;
  inflight(): number;
  close(options: { timeoutMs: number }): Promise<{ graceful: boolean }>;
}

let backend: Running;
try {
  if (protocol === 'tcp') {
    const echo = await startTcpEcho({ name, host, port });
    backend = { port: echo.port, inflight: () => echo.open, close: (o) => echo.close(o) };
  } else {
    const http: RunningSampleBackend = await startSampleBackend({ name, host, port, knobs });
    backend = {
      port: http.port,
      inflight: () => http.stats.snapshot().inflight,
      close: (o) => http.close(o),
    };
  }
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message;
  fail(`${name} cannot listen on ${host}:${port}: ${why}${code ? ` (${code})` : ''}`, EXIT_ERROR);
}

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    emit({ event: 'stopped', name, signal, graceful: false, code: EXIT_ERROR, reason: 'second signal' });
    process.exit(EXIT_ERROR);
  }
  stopping = true;
  const started = Date.now();
  const closing = backend.close({ timeoutMs: shutdownTimeoutMs });
  // The listening socket is closed by now: new connections are refused from here on.
  emit({ event: 'draining', name, signal, inflight: backend.inflight() });
  const { graceful } = await closing;
  const code = graceful ? EXIT_OK : EXIT_ERROR;
  emit({ event: 'stopped', name, signal, graceful, code, durationMs: Date.now() - started });
  process.exit(code);
}

// Handlers first: a parent may signal as soon as it reads the listening line.
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
whenParentGone(() => void shutdown('SIGTERM'));
emit({ event: 'listening', name, host, port: backend.port, pid: process.pid });
