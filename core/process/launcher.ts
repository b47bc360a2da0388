/**
 * Long-running child processes of the local stack (sample backends, the balancer) on
 * 127.0.0.1: started from a launch spec, ready once they print a JSON `listening` line, then
 * killed, frozen and started again on the same port by faults and tests.
 *
 * Start failures (bad env, port in use, no listening line within the timeout) reject with a
 * ChildStartError (FL_PROCESS_START_FAILED) that carries the exit code and the child's stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { FaultlineError } from '../errors.ts';
import { PARENT_PIPE_ENV } from '../exit-with-parent.ts';
import { portAnswers } from '../net/ports.ts';
import { type ProcessInstance, processStartTime, signalInstance } from './identity.ts';

/** How to start a process: plain data, so another process (`faultline revert`) can do it too. */
export interface LaunchSpec {
  command: string;
  args: string[];
  cwd: string;
  /** Set on top of the parent's environment (minus `clearEnv`). */
  env: Record<string, string>;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A JSON line the child printed on stdout. */
export type ChildEvent = Record<string, unknown>;

export interface ChildProcessHandle {
  readonly name: string;
  /** The port it listens on (from its listening line). */
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** Its kernel start time, read at spawn: pid and start time name this one instance. */
  readonly startTime: string;
  readonly child: ChildProcess;
  /** The env overrides it was started with (PORT as given, usually '0'). */
  readonly env: Readonly<Record<string, string>>;
  /** How to start it again on the same port, from any process. */
  readonly relaunch: LaunchSpec;
  /** The listening line. */
  readonly listening: ChildEvent;
  /** Resolves (never rejects) when the process has exited. */
  readonly exited: Promise<ChildExit>;
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
  /** Starts the same thing again on the same port (`env` added); this one must have exited. */
  respawn(env?: Record<string, string>): Promise<ChildProcessHandle>;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
  /** The JSON lines from stdout so far. */
  events(): ChildEvent[];
  /** Calls `listener` with every JSON line printed from now on; returns the unsubscribe. */
  onEvent(listener: (event: ChildEvent) => void): () => void;
  /**
   * Resolves with the first JSON line whose `event` (or `kind`) is `kind`, at once if already
   * printed; rejects after `timeoutMs` (default 10000) or when the process closed its stdout.
   */
  waitForEvent(kind: string, timeoutMs?: number): Promise<ChildEvent>;
}

export interface SpawnChildOptions {
  /** How long to wait for the listening line. Default 10000. */
  startTimeoutMs?: number;
  /** The port, when `event` is the listening line; undefined for any other line. */
  listeningPort(event: ChildEvent): number | undefined;
  /** How to start it again on `port` (e.g. the same spec with PORT set). */
  relaunch(port: number, launch: LaunchSpec): LaunchSpec;
  /** Variables never inherited from this process's environment. */
  clearEnv?: readonly string[];
  /** What the child is, for messages ("backend app1", "balancer"). */
  label?: string;
}

/**
 * The process did not come up: FL_PROCESS_START_FAILED, a user's error (bad env, port in use),
 * not a bug. `exitCode` is null if it was still running (timeout) or never spawned; `stderr` is
 * all it wrote. The message is `message` plus what the child said on stderr, stack frames left
 * out: one line when the child said one line (the sample backend on a bad env or a port in use).
 */
export class ChildStartError extends FaultlineError {
  override readonly code = 'FL_PROCESS_START_FAILED' as const;
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('FL_PROCESS_START_FAILED', withChildOutput(message, stderr));
    this.name = 'ChildStartError';
  }
}

/** At most this many lines of the child's stderr go into the message (the last ones). */
const STDERR_LINES_SHOWN = 20;

function withChildOutput(message: string, stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '' && !/^\s+at /.test(line) && !/^Node\.js v\d/.test(line));
  if (lines.length === 0) return message;
  if (lines.length === 1) return `${message}: ${(lines[0] as string).trim()}`;
  const shown = lines.slice(-STDERR_LINES_SHOWN);
  const omitted = lines.length - shown.length;
  return [
    `${message}; its stderr${omitted > 0 ? ` (last ${shown.length} lines)` : ''}:`,
    ...shown.map((line) => `  ${line}`),
  ].join('\n');
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test forgot killAllChildren: SIGKILL works on stopped processes too.
  process.once('exit', () => {
    for (const child of live) if (isRunning(child)) child.kill('SIGKILL');
  });
}

function kindOf(event: ChildEvent): unknown {
  return event.event ?? event.kind;
}

/** Starts `launch` and resolves once it printed its listening line. */
export async function spawnChild(
  name: string,
  launch: LaunchSpec,
  options: SpawnChildOptions,
): Promise<ChildProcessHandle> {
  const label = options.label ?? name;
  const inherited = { ...process.env };
  for (const key of options.clearEnv ?? []) delete inherited[key];
  // A stdin pipe nobody writes to: it closes when this process dies, however it dies, and the
  // child exits then (whenParentGone). Not part of the launch spec: a detached respawn by
  // `faultline revert` must outlive the process that started it.
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: { ...inherited, ...launch.env, [PARENT_PIPE_ENV]: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => {});
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  live.add(child);
  installExitHook();
  // Read at once: the child exists from here on (a failed spawn has no pid and no start time).
  const startTime = child.pid === undefined ? '' : (processStartTime(child.pid) ?? '');

  let stdout = '';
  let stderr = '';
  const events: ChildEvent[] = [];
  const listeners = new Set<(event: ChildEvent | undefined) => void>();
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let event: ChildEvent;
      try {
        event = JSON.parse(line) as ChildEvent;
      } catch {
        continue; // not an event line
      }
      events.push(event);
      for (const listener of listeners) listener(event);
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.once('close', () => {
    for (const listener of listeners) listener(undefined);
  });

  const exited = new Promise<ChildExit>((resolve) => {
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
  const { listening, port } = await new Promise<{ listening: ChildEvent; port: number }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(onLine);
        child.kill('SIGKILL');
        reject(new ChildStartError(`${label} printed no listening line within ${timeoutMs}ms`, null, stderr));
      }, timeoutMs);
      const onLine = (event: ChildEvent | undefined) => {
        const port = event ? options.listeningPort(event) : undefined;
        if (event === undefined || port === undefined) return;
        clearTimeout(timer);
        listeners.delete(onLine);
        resolve({ listening: event, port });
      };
      listeners.add(onLine);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new ChildStartError(`${label} could not be spawned: ${err.message}`, null, stderr));
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new ChildStartError(`${label} exited (${how}) before listening`, code, stderr));
      });
    },
  );

  let frozen = false;
  const relaunch = options.relaunch(port, launch);
  const handle: ChildProcessHandle = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    startTime,
    child,
    env: { ...launch.env },
    relaunch,
    listening,
    exited,
    signal(sig) {
      if (!isRunning(child)) return;
      signalInstance(label, { pid: child.pid as number, startTime }, sig);
      if (sig === 'SIGSTOP') frozen = true;
      if (sig === 'SIGCONT') frozen = false;
    },
    freeze: () => handle.signal('SIGSTOP'),
    thaw: () => handle.signal('SIGCONT'),
    async kill() {
      handle.signal('SIGKILL');
      await exited;
    },
    async stop() {
      handle.signal('SIGTERM');
      if (frozen) handle.signal('SIGCONT');
      return (await exited).code;
    },
    respawn(env = {}) {
      return spawnChild(name, { ...relaunch, env: { ...relaunch.env, ...env } }, options);
    },
    output: () => ({ stdout, stderr }),
    events: () => [...events],
    onEvent(listener) {
      const wrapped = (event: ChildEvent | undefined) => {
        if (event) listener(event);
      };
      listeners.add(wrapped);
      return () => listeners.delete(wrapped);
    },
    waitForEvent(kind, timeoutMs = 10_000) {
      const seen = events.find((e) => kindOf(e) === kind);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(waiter);
          reject(new Error(`${label} printed no ${kind} event within ${timeoutMs}ms`));
        }, timeoutMs);
        const waiter = (event: ChildEvent | undefined) => {
          if (event !== undefined && kindOf(event) !== kind) return;
          clearTimeout(timer);
          listeners.delete(waiter);
          if (event) resolve(event);
          else reject(new Error(`${label} exited without printing a ${kind} event`));
        };
        listeners.add(waiter);
      });
    },
  };
  return handle;
}

/** The instance a handle names, for records (stack file, ledger). */
export function instanceOf(handle: ChildProcessHandle): ProcessInstance {
  return { pid: handle.pid, startTime: handle.startTime };
}

/** SIGCONT then SIGKILL every process this module spawned that is still alive; waits for them. */
export async function killAllChildren(): Promise<void> {
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

/**
 * Starts `launch` detached (own session, no pipes, output to `logFile` or nowhere) so that it
 * outlives this process, as `faultline revert` must, and resolves with its instance once it
 * accepts connections on `port`. Rejects with why it did not: it exited, could not be spawned,
 * or nothing listened within `timeoutMs` (then it is killed).
 */
export async function startDetached(
  launch: LaunchSpec,
  options: { port: number; logFile?: string; timeoutMs: number },
): Promise<ProcessInstance> {
  let out: number | 'ignore' = 'ignore';
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    out = openSync(options.logFile, 'a');
  }
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: { PATH: process.env.PATH ?? '', ...launch.env },
    detached: true,
    stdio: ['ignore', out, out],
  });
  if (typeof out === 'number') closeSync(out);
  let failure: Error | undefined;
  child.once('error', (err) => {
    failure = err;
  });
  child.once('exit', (code, signal) => {
    failure ??= new Error(`exited (${signal ? `signal ${signal}` : `code ${code}`}) before listening`);
  });
  child.unref();
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && !failure) {
    if (await portAnswers(options.port)) {
      const startTime = child.pid === undefined ? undefined : processStartTime(child.pid);
      if (child.pid !== undefined && startTime !== undefined) return { pid: child.pid, startTime };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!failure && child.pid !== undefined) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  throw failure ?? new Error(`nothing listened on port ${options.port} within ${options.timeoutMs}ms`);
}
