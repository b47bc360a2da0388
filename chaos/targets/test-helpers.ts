/**
 * Test helpers: processes started detached by applyRevert are not ours to track, so find them by
 * port and end them by instance (pid and start time): a pid freed meanwhile may name a stranger.
 */
import { findListeningPid } from './port-owner.ts';
import { currentInstance, type ProcessInstance, signalInstance, waitForExit } from './process-identity.ts';

const detached: ProcessInstance[] = [];

/** Remembers the process now listening on `port` (started by a revert) for `killDetached`. */
export function trackListener(port: number): number {
  const pid = findListeningPid(port);
  if (pid === undefined) throw new Error(`nothing listens on port ${port}`);
  const instance = pid === process.pid ? undefined : currentInstance(pid);
  if (instance) detached.push(instance);
  return pid;
}

/** SIGKILLs `instance` if it still runs (SIGCONT first: it may be frozen), and waits for it. */
export async function killInstance(instance: ProcessInstance): Promise<void> {
  try {
    if (!signalInstance('test leftover', instance, 'SIGCONT')) return;
    signalInstance('test leftover', instance, 'SIGKILL');
  } catch {
    return; // gone, or its pid names another process now: not ours
  }
  await waitForExit(instance, 5000);
}

export async function killDetached(): Promise<void> {
  for (const instance of detached.splice(0)) await killInstance(instance);
}
