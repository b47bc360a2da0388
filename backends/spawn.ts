/**
 * Sample backends as real child processes on 127.0.0.1: the local stack and the tests kill,
 * freeze and restart them.
 *
 * ```ts
 * import { afterEach } from 'vitest';
 * import { killAllBackends, respawnBackend, spawnBackend } from '../backends/spawn.ts';
 *
 * afterEach(killAllBackends);                       // no leaked processes, even frozen ones
 *
 * const app1 = await spawnBackend('app1', { LATENCY_MS: '50' });   // PORT=0, 127.0.0.1
 * app1.url;                 // http://127.0.0.1:43123
 * app1.freeze(); app1.thaw();                       // SIGSTOP / SIGCONT
 * await app1.kill();                                // SIGKILL, resolves once it exited
 * const again = await respawnBackend(app1);         // same name, env and port
 * const code = await again.stop();                  // SIGTERM, graceful drain; exit code (0)
 * ```
 *
 * Start failures (bad env, port in use, no listening line within the timeout) reject with a
 * BackendStartError that carries the exit code and the child's stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const BACKEND_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Variables the backend reads; never inherited from the test runner's own environment. */
const BACKEND_VARS = [
  'BACKEND_NAME',
  'HOST',
  'PORT',
  'LATENCY_MS',
  'ERROR_RATE',
  'ERROR_STATUS',
  'HANG',
  'HEALTH_STATUS',
  'SHUTDOWN_TIMEOUT_MS',
];

/**
 * The command line that starts backend `name` on `port`, as plain data: enough for another
 * process (e.g. `faultline revert` after a crash) to start the same backend again.
 */
export function backendLaunchSpec(
  name: string,
  port: number,
  env: Readonly<Record<string, string>> = {},
): { command: string; args: string[]; cwd: string; env: Record<string, string> } {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', BACKEND_MAIN],
    cwd: REPO_ROOT,
    env: { ...env, BACKEND_NAME: name, HOST: '127.0.0.1', PORT: String(port) },
  };
}

export interface BackendExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BackendProcess {
  readonly name: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The env overrides it was started with (PORT as given, usually '0'). */
  readonly env: Readonly<Record<string, string>>;
  /** Resolves (never rejects) when the process has exited. */
  readonly exited: Promise<BackendExit>;
  /** Sends any signal; SIGSTOP/SIGCONT also update the frozen state `stop()` relies on. */
  signal(sig: NodeJS.Signals): void;
  /** SIGSTOP: the process stops; the kernel still accepts connections into its backlog. */
  freeze(): void;
  /** SIGCONT */
  thaw(): void;
  /** SIGKILL; resolves once the process has exited (its port is free again). */
  kill(): Promise<void>;
  /** SIGTERM (and SIGCONT if frozen); resolves with the exit code once it exited. */
  stop(): Promise<number | null>;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
  /** The JSON event lines from stdout so far (`listening`, `draining`, `stopped`). */
  events(): Array<Record<string, unknown>>;
  /**
   * Resolves with the first event line of that kind (at once if already printed); rejects after
   * `timeoutMs` (default 10000) or when the process closed its stdout without printing it.
   * `draining` is printed right after a SIGTERM/SIGINT closed the listening socket.
   */
  waitForEvent(
    kind: 'listening' | 'draining' | 'stopped',
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

export interface SpawnOptions {
  /** How long to wait for the listening line. Default 10000. */
  startTimeoutMs?: number;
}

/** The backend process did not come up; `exitCode` is null if it was still running (timeout). */
export class BackendStartError extends Error {
  readonly code = 'ERR_BACKEND_START';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(stderr.trim() ? `${message}\n--- backend stderr ---\n${stderr.trimEnd()}` : message);
    this.name = 'BackendStartError';
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test forgot killAllBackends: SIGKILL works on stopped processes too.
  process.once('exit', () => {
    for (const child of live) if (isRunning(child)) child.kill('SIGKILL');
  });
}

/**
 * Starts `node --import tsx backends/main.ts` with BACKEND_NAME=name, HOST=127.0.0.1, PORT=0,
 * then `env` on top (pass `PORT` to reuse a port). Resolves when it printed its listening line.
 */
export async function spawnBackend(
  name: string,
  env: Record<string, string> = {},
  options: SpawnOptions = {},
): Promise<BackendProcess> {
  const inherited = { ...process.env };
  for (const key of BACKEND_VARS) delete inherited[key];
  const child = spawn(process.execPath, ['--import', 'tsx', BACKEND_MAIN], {
    cwd: REPO_ROOT,
    env: { ...inherited, BACKEND_NAME: name, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  installExitHook();

  let stdout = '';
  let stderr = '';
  const events: Array<Record<string, unknown>> = [];
  let onEvent: (event: Record<string, unknown>) => void = () => {};
  const waiters = new Set<(event: Record<string, unknown> | undefined) => void>();
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        onEvent(event);
        for (const waiter of waiters) waiter(event);
      } catch {
        // not an event line
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.once('close', () => {
    for (const waiter of waiters) waiter(undefined);
  });

  const exited = new Promise<BackendExit>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      if (child.pid !== undefined) return; // a failed kill(), not a failed spawn
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });

  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new BackendStartError(
          `backend ${name} printed no listening line within ${timeoutMs}ms`,
          null,
          stderr,
        ),
      );
    }, timeoutMs);
    onEvent = (event) => {
      if (event.event !== 'listening') return;
      clearTimeout(timer);
      resolve(event);
    };
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new BackendStartError(`backend ${name} could not be spawned: ${err.message}`, null, stderr));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      reject(new BackendStartError(`backend ${name} exited (${how}) before listening`, code, stderr));
    });
  });

  const port = listening.port as number;
  let frozen = false;
  const backend: BackendProcess = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    child,
    env: { ...env },
    exited,
    signal(sig) {
      if (!isRunning(child)) return;
      child.kill(sig);
      if (sig === 'SIGSTOP') frozen = true;
      if (sig === 'SIGCONT') frozen = false;
    },
    freeze: () => backend.signal('SIGSTOP'),
    thaw: () => backend.signal('SIGCONT'),
    async kill() {
      backend.signal('SIGKILL');
      await exited;
    },
    async stop() {
      backend.signal('SIGTERM');
      if (frozen) backend.signal('SIGCONT');
      return (await exited).code;
    },
    output: () => ({ stdout, stderr }),
    events: () => [...events],
    waitForEvent(kind, timeoutMs = 10_000) {
      const seen = events.find((e) => e.event === kind);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`backend ${name} printed no ${kind} event within ${timeoutMs}ms`));
        }, timeoutMs);
        const waiter = (event: Record<string, unknown> | undefined) => {
          if (event !== undefined && event.event !== kind) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          if (event) resolve(event);
          else reject(new Error(`backend ${name} exited without printing a ${kind} event`));
        };
        waiters.add(waiter);
      });
    },
  };
  return backend;
}

/**
 * Starts a new process with the same name, env and port as `previous`, which must have exited
 * (kill or stop it first). `env` adds to or overrides the previous env.
 */
export function respawnBackend(
  previous: BackendProcess,
  env: Record<string, string> = {},
  options?: SpawnOptions,
): Promise<BackendProcess> {
  return spawnBackend(previous.name, { ...previous.env, PORT: String(previous.port), ...env }, options);
}

/** SIGCONT then SIGKILL every backend process this module spawned that is still alive; waits for them. */
export async function killAllBackends(): Promise<void> {
  const children = [...live];
  await Promise.all(
    children.map(async (child) => {
      if (!isRunning(child)) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await gone;
    }),
  );
}
