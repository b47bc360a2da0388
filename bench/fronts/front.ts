import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pool every front balances, from which each front's own config is generated. */
export interface BenchPool {
  servers: { name: string; port: number; weight?: number; backup?: boolean }[];
  health: { path: string; intervalMs: number; timeoutMs: number; rise: number; fall: number };
  /** Give up on a server that has not sent response headers after this long (failover settings). */
  responseTimeoutMs: number;
  connectTimeoutMs: number;
  retries: number;
}

/** A proxy in front of the pool, running as its own processes. */
export interface RunningFront {
  url: string;
  /** The process whose tree's CPU time counts as the proxy's. */
  pid: number;
  stop(): Promise<void>;
}

export interface Front {
  name: string;
  /** Why this front cannot run here (a missing binary, with how to install it), else undefined. */
  unavailable(): string | undefined;
  start(pool: BenchPool, port: number): Promise<RunningFront>;
}

/** A scratch folder for a front's config and logs, removed by `stop`. */
export function scratchDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `faultline-bench-${name}-`));
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Spawns a front's process and waits until `port` accepts connections; the process's stderr
 * is in the error when it exits first or never listens.
 */
export async function spawnFront(
  name: string,
  command: string,
  args: string[],
  port: number,
  dir: string,
  /** Each line the front prints on stdout (its event log), else stdout is dropped. */
  onLine?: (line: string) => void,
  /** Each line it prints on stderr (where nginx and HAProxy log server state changes). */
  onErrLine?: (line: string) => void,
): Promise<RunningFront> {
  const child: ChildProcess = spawn(command, args, {
    stdio: ['ignore', onLine ? 'pipe' : 'ignore', 'pipe'],
    cwd: dir,
  });
  if (onLine && child.stdout) {
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  let stderr = '';
  let errPartial = '';
  child.stderr?.on('data', (d: Buffer) => {
    const text = d.toString();
    if (stderr.length < 65_536) stderr += text;
    if (!onErrLine) return;
    const lines = (errPartial + text).split('\n');
    errPartial = lines.pop() ?? '';
    for (const line of lines) onErrLine(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${name} exited before listening (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`,
      );
    if (await portAnswers(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not listen on ${port} within 15 s: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killed);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where `binary` is on PATH, else undefined. */
export function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const candidate = join(dir, binary);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The Debian packages the peers come from, for the message when one is missing. */
export const INSTALL_HINT = 'apt-get install -y nginx-light haproxy wrk';

export function missingBinary(binary: string): string | undefined {
  return which(binary) ? undefined : `${binary} is not installed (${INSTALL_HINT})`;
}
