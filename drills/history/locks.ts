import { hostname } from 'node:os';
import { type Db, writeHistory } from './history-db.ts';

/** Who holds the run lock: one scheduled run at a time per history, across processes. */
export interface LockHolder {
  owner: string;
  pid: number;
  host: string;
  /** What it runs (`job nightly: primary-crash`). */
  holding: string;
  acquiredAt: number;
  expiresAt: number;
}

const RUN_LOCK = 'run';

/**
 * Takes the run lock for `leaseMs` unless a live holder has it. A holder whose lease ran out
 * (its scheduler froze or died without releasing), or whose process on this host is gone, is
 * replaced: a crash never blocks the schedule for longer than a lease.
 */
export function acquireRunLock(
  db: Db,
  who: { owner: string; holding: string },
  leaseMs: number,
  at = Date.now(),
): { acquired: true } | { acquired: false; holder: LockHolder } {
  return writeHistory(db, () => {
    const holder = readLock(db);
    if (holder && holder.owner !== who.owner && holder.expiresAt > at && !deadHere(holder)) {
      return { acquired: false, holder };
    }
    db.prepare(
      `INSERT INTO locks (name, owner, pid, host, holding, acquired_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
         holding = excluded.holding, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
    ).run(RUN_LOCK, who.owner, process.pid, hostname(), who.holding, at, at + leaseMs);
    return { acquired: true };
  });
}

/** Extends the lease while the run goes on; false when another process took the lock over. */
export function renewRunLock(db: Db, owner: string, leaseMs: number, at = Date.now()): boolean {
  return writeHistory(
    db,
    () =>
      db
        .prepare('UPDATE locks SET expires_at = ? WHERE name = ? AND owner = ?')
        .run(at + leaseMs, RUN_LOCK, owner).changes === 1,
  );
}

export interface HeldLock {
  /** Stops renewing and gives the lock back (idempotent). */
  release(): void;
}

/**
 * Takes the run lock and keeps renewing its lease (every third of it) until released;
 * `onLost` hears when another process took it over (this one stalled past its lease).
 */
export function holdRunLock(
  db: Db,
  who: { owner: string; holding: string },
  options: { leaseMs: number; now?: () => number; onLost?: () => void },
): ({ acquired: true } & HeldLock) | { acquired: false; holder: LockHolder } {
  const now = options.now ?? Date.now;
  const taken = acquireRunLock(db, who, options.leaseMs, now());
  if (!taken.acquired) return taken;
  const renew = setInterval(
    () => {
      try {
        if (!renewRunLock(db, who.owner, options.leaseMs, now())) options.onLost?.();
      } catch {
        // A busy history: the next renewal tries again.
      }
    },
    Math.max(1000, options.leaseMs / 3),
  );
  renew.unref();
  let released = false;
  return {
    acquired: true,
    release() {
      if (released) return;
      released = true;
      clearInterval(renew);
      releaseRunLock(db, who.owner);
    },
  };
}

export function releaseRunLock(db: Db, owner: string): void {
  writeHistory(db, () => db.prepare('DELETE FROM locks WHERE name = ? AND owner = ?').run(RUN_LOCK, owner));
}

export function readLock(db: Db): LockHolder | undefined {
  const row = db
    .prepare(
      `SELECT owner, pid, host, holding, acquired_at AS acquiredAt, expires_at AS expiresAt
       FROM locks WHERE name = ?`,
    )
    .get(RUN_LOCK) as LockHolder | undefined;
  return row;
}

function deadHere(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface JobState {
  paused: boolean;
  /** The last tick the scheduler decided on (epoch ms): ticks after it and before now were missed. */
  lastTickAt?: number;
}

export function readJobState(db: Db, job: string): JobState {
  const row = db.prepare('SELECT paused, last_tick_at FROM job_state WHERE job = ?').get(job) as
    | { paused: number; last_tick_at: number | null }
    | undefined;
  return {
    paused: row?.paused === 1,
    ...(row?.last_tick_at != null ? { lastTickAt: row.last_tick_at } : {}),
  };
}

export function setJobPaused(db: Db, job: string, paused: boolean, at = Date.now()): void {
  writeHistory(db, () =>
    db
      .prepare(
        `INSERT INTO job_state (job, paused, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (job) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at`,
      )
      .run(job, paused ? 1 : 0, at),
  );
}

export function setLastTick(db: Db, job: string, tickAt: number, at = Date.now()): void {
  writeHistory(db, () =>
    db
      .prepare(
        `INSERT INTO job_state (job, last_tick_at, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (job) DO UPDATE SET last_tick_at = max(coalesce(last_tick_at, 0), excluded.last_tick_at),
           updated_at = excluded.updated_at`,
      )
      .run(job, tickAt, at),
  );
}

export interface NotificationRecord {
  run: number;
  url: string;
  event: string;
  outcome: 'delivered' | 'failed';
  attempts: number;
  error?: string;
  at?: number;
}

export function recordNotification(db: Db, n: NotificationRecord): void {
  writeHistory(db, () =>
    db
      .prepare(
        'INSERT INTO notifications (run, url, event, outcome, attempts, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(n.run, n.url, n.event, n.outcome, n.attempts, n.error ?? null, n.at ?? Date.now()),
  );
}
