import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const READY_TIMEOUT_MS = 10_000;

/** A sample backend running as a child process on 127.0.0.1. */
export interface BackendProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  signal(sig: NodeJS.Signals): void;
  /** SIGSTOP: the process accepts nothing and answers nothing until thawed. */
  freeze(): void;
  /** SIGCONT. */
  thaw(): void;
  /** SIGKILL (after SIGCONT, so a frozen process dies too) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM: graceful shutdown; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const alive = new Set<BackendProcess>();

/**
 * Starts `backends/main.ts` with PORT=0 (or the PORT given in env, to restart on the same port)
 * and waits for its `listening` line.
 */
export async function spawnBackend(name: string, env: Record<string, string> = {}): Promise<BackendProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env, BACKEND_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`did not report listening within ${READY_TIMEOUT_MS}ms`),
      READY_TIMEOUT_MS,
    );
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`sample backend ${name} ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; port?: number };
        if (event.event === 'listening' && typeof event.port === 'number') {
          clearTimeout(timer);
          resolve(event.port);
        }
      } catch {
        // not a JSON line: ignore
      }
    });
    void exited.then((code) => fail(`exited with code ${code} before listening`));
  });
  const signal = (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  };
  const handle: BackendProcess = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    child,
    exited,
    signal,
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
    kill: async () => {
      signal('SIGCONT');
      signal('SIGKILL');
      await exited;
    },
    stop: async () => {
      signal('SIGCONT');
      signal('SIGTERM');
      return exited;
    },
  };
  alive.add(handle);
  void exited.then(() => alive.delete(handle));
  return handle;
}

/** SIGKILLs every backend this process spawned that is still running. */
export async function killAllBackends(): Promise<void> {
  await Promise.all([...alive].map((b) => b.kill()));
}

export async function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}
