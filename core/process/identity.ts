import { readFileSync } from 'node:fs';
import { FaultlineError } from '../errors.ts';

/**
 * The kernel's start time of `pid` (field 22 of /proc/<pid>/stat, in clock ticks since boot):
 * together with the pid it names one process instance, so a recycled pid is never signalled.
 * Undefined when the process is gone (or not on Linux).
 */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * The state letter of /proc/<pid>/stat (R, S, D; T or t stopped by a signal; Z zombie, X dead),
 * undefined when no process has the pid.
 */
export function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** /proc/<pid>/stat from field 3 (state) on. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Throws FL_PLATFORM_UNSUPPORTED unless process instances can be told apart here: local
 * processes are recorded by pid and kernel start time from /proc, which only Linux has.
 * Elsewhere a start time would be recorded empty and a revert later skipped, so refuse at once.
 */
export function assertProcessIdentity(what: string, platform: NodeJS.Platform = process.platform): void {
  if (platform === 'linux' && processStartTime(process.pid) !== undefined) return;
  throw new FaultlineError(
    'FL_PLATFORM_UNSUPPORTED',
    `${what} needs Linux: it tells process instances apart by their start time in /proc, and this is ${platform}${platform === 'linux' ? ' without a readable /proc' : ''}. Run the drill on the compose stack instead (--target compose, Docker).`,
  );
}

/** One process instance: a pid alone may be recycled, pid plus kernel start time may not. */
export interface ProcessInstance {
  pid: number;
  /** processStartTime(pid) when it was recorded; '' where it could not be read (not Linux). */
  startTime: string;
}

/** The instance `pid` names now, or undefined when no process has that pid. */
export function currentInstance(pid: number): ProcessInstance | undefined {
  const startTime = processStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}

/**
 * Whether `recorded` is still the process it was: `same`, `gone` (no process has the pid), or
 * `replaced` (the pid names another process now, or the instance cannot be proven).
 */
export function instanceState(recorded: ProcessInstance): 'same' | 'gone' | 'replaced' {
  const now = processStartTime(recorded.pid);
  if (now === undefined) return 'gone';
  return recorded.startTime !== '' && now === recorded.startTime ? 'same' : 'replaced';
}

/** A recorded pid names another process now (a stale stack file, a recycled pid): refused. */
export class StaleTargetError extends FaultlineError {
  override readonly code = 'FL_TARGET_STALE' as const;
  constructor(
    readonly target: string,
    readonly recorded: ProcessInstance,
    source?: string,
  ) {
    const now = processStartTime(recorded.pid) ?? 'none';
    super(
      'FL_TARGET_STALE',
      `refusing to act on ${target}: pid ${recorded.pid} is not the process faultline recorded` +
        ` (start time ${now}, recorded ${recorded.startTime || 'unknown'}${source ? ` in ${source}` : ''});` +
        ' the record is stale and the pid now names another process, which faultline leaves alone',
    );
    this.name = 'StaleTargetError';
  }
}

/** Throws StaleTargetError when `recorded` names another process now; false when it is gone. */
export function assertSameInstance(target: string, recorded: ProcessInstance, source?: string): boolean {
  const state = instanceState(recorded);
  if (state === 'replaced') throw new StaleTargetError(target, recorded, source);
  return state === 'same';
}

/**
 * The one door for signalling a process faultline did not just fork itself: the instance is
 * checked first. Returns false (nothing sent) when it is gone; throws StaleTargetError when
 * its pid names another process now.
 */
export function signalInstance(
  target: string,
  recorded: ProcessInstance,
  signal: NodeJS.Signals,
  source?: string,
): boolean {
  if (!assertSameInstance(target, recorded, source)) return false;
  try {
    process.kill(recorded.pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a zombie's whole thread group is gone. The group leader turns zombie as soon as its
 * own thread exits, while the process's other threads may still be exiting and still hold its
 * files, listening sockets included: a port checked then still accepts connections.
 */
function threadsGone(pid: number): boolean {
  try {
    const threads = /^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return threads === undefined || Number(threads) <= 1;
  } catch {
    return true;
  }
}

/**
 * Waits until the process has exited (or is a zombie with no thread left: its files, sockets
 * included, are closed), up to `timeoutMs`. Given an instance, a pid that names another process
 * meanwhile counts as exited too.
 */
export async function waitForExit(target: number | ProcessInstance, timeoutMs: number): Promise<boolean> {
  const instance = typeof target === 'number' ? undefined : target;
  const pid = typeof target === 'number' ? target : target.pid;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const fields = statFields(pid);
    const state = !fields || (instance?.startTime && fields[19] !== instance.startTime) ? 'gone' : fields[0];
    if (state === 'gone') return true;
    if ((state === 'Z' || state === 'X') && threadsGone(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
