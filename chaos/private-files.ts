import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { FaultlineError } from '../core/errors.ts';

/** Modes for what faultline writes: the ledger and stack files say which processes to signal. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Refuses a ledger or stack file that someone else could have written: group- or
 * world-writable (mode & 0o022), or owned by another user. Such a file could point faultline
 * at any process. A file that does not exist yet passes.
 */
export function assertPrivateFile(file: string, what: string): void {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const rule = `faultline only trusts a ${what} owned by the user running it and writable by that user alone`;
  if ((stat.mode & 0o022) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new FaultlineError(
      'FL_UNSAFE_FILE',
      `refusing ${what} ${file}: it is group- or world-writable (mode ${mode}); ${rule} (fix: chmod go-w ${file})`,
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new FaultlineError(
      'FL_UNSAFE_FILE',
      `refusing ${what} ${file}: it is owned by uid ${stat.uid}, not by uid ${uid} running faultline; ${rule}`,
    );
  }
}

/** Creates the folder a private file goes in (0700 for the folders it creates). */
export function makePrivateDir(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
}
