/** Test helpers: processes started detached by applyRevert are not ours to track, so find and kill them by port. */
import { findListeningPid } from './port-owner.ts';
import { waitForExit } from './process-identity.ts';

const detached = new Set<number>();

/** Remembers the pid now listening on `port` (started by a revert) for `killDetached`. */
export function trackListener(port: number): number {
  const pid = findListeningPid(port);
  if (pid === undefined) throw new Error(`nothing listens on port ${port}`);
  if (pid !== process.pid) detached.add(pid);
  return pid;
}

export async function killDetached(): Promise<void> {
  for (const pid of detached) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    await waitForExit(pid, 5000);
  }
  detached.clear();
}
