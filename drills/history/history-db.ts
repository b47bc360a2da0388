import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { FaultlineError } from '../../core/errors.ts';
import { shownPath } from '../../core/paths.ts';
import { MIGRATIONS } from './migrations.ts';

/** `PRAGMA application_id` of a faultline history ("FLTH"): another SQLite file is never taken for one. */
const APPLICATION_ID = 0x464c5448;
/** How long a writer waits for another one (a second scheduler, a manual run) before giving up. */
const BUSY_TIMEOUT_MS = 10_000;

export const HISTORY_FILE_NAME = 'history.sqlite';

/** The default history file: beside the reports (`<report-dir>/history.sqlite`). */
export function defaultHistoryFile(reportDir: string): string {
  return join(reportDir, HISTORY_FILE_NAME);
}

export type Db = Database.Database;

/** The native SQLite binding, loaded on first use: commands that keep no history never load it. */
function sqlite(): typeof Database {
  return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
}

/**
 * Opens (creating when absent) the history database: WAL so readers never block the writer,
 * a busy timeout so concurrent writers queue instead of failing, the schema migrated to this
 * version. A damaged file, or one that is not a faultline history, is refused, never replaced.
 */
export function openHistoryDb(file: string): Db {
  const shown = shownPath(file);
  const exists = existsSync(file) && statSync(file).size > 0;
  if (!exists) {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw unwritable(shown, err);
    }
  }
  let db: Db;
  try {
    const Sqlite = sqlite();
    db = new Sqlite(file, { fileMustExist: false, timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw unwritable(shown, err);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkIntegrity(db, shown, exists);
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    migrate(db, shown);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof FaultlineError) throw err;
    throw classify(shown, err);
  }
}

function checkIntegrity(db: Db, shown: string, existed: boolean): void {
  const id = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
    n: number;
  };
  if (existed && id !== APPLICATION_ID && (tables.n > 0 || version > 0)) {
    throw corrupt(shown, 'it is an SQLite database, but not a faultline history');
  }
  const check = db.pragma('quick_check', { simple: true });
  if (check !== 'ok') throw corrupt(shown, `the database is damaged (${String(check)})`);
}

function migrate(db: Db, shown: string): void {
  // Up to date (the usual case): no write lock at all. Taking one on every open let a second
  // process starve behind a busy writer (SQLite's busy handler sleeps up to 100 ms between
  // tries while the writer re-takes the lock at once) and fail after the busy timeout.
  const current =
    db.pragma('user_version', { simple: true }) === MIGRATIONS.length &&
    db.pragma('application_id', { simple: true }) === APPLICATION_ID;
  if (current) return;
  // One writer migrates; the others wait on the lock, then find the work done.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new FaultlineError(
        'FL_HISTORY_NEWER',
        `history ${shown} has schema version ${version}; this faultline knows up to ${MIGRATIONS.length}: it was written by a newer faultline`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v] as string);
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
    db.pragma(`application_id = ${APPLICATION_ID}`);
  }).immediate();
}

function classify(shown: string, err: unknown): FaultlineError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT')) {
    return corrupt(shown, (err as Error).message);
  }
  return unwritable(shown, err);
}

function corrupt(shown: string, why: string): FaultlineError {
  return new FaultlineError(
    'FL_HISTORY_CORRUPT',
    `history ${shown} cannot be used: ${why}. faultline does not replace it: move it away (keep it for inspection) or pass --history with another file`,
  );
}

function unwritable(shown: string, err: unknown): FaultlineError {
  const code = (err as { code?: string }).code;
  return new FaultlineError(
    'FL_HISTORY_UNWRITABLE',
    `history ${shown} cannot be opened or written: ${(err as Error).message}${code ? ` (${code})` : ''}`,
    { cause: err },
  );
}

/**
 * The history a command records into: an existing file is opened (and checked) at once, so a
 * damaged one stops the command before it runs anything; a new one is created with the first
 * record, so a command that ran nothing leaves nothing behind.
 */
export class HistoryFile {
  private db: Db | undefined;

  constructor(
    readonly file: string,
    open?: Db,
  ) {
    this.db = open ?? (existsSync(file) && statSync(file).size > 0 ? openHistoryDb(file) : undefined);
  }

  get(): Db {
    this.db ??= openHistoryDb(this.file);
    return this.db;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

/** Runs `write` in an immediate transaction; SQLite errors become FaultlineErrors naming the file. */
export function writeHistory<T>(db: Db, write: () => T): T {
  try {
    return db.transaction(write).immediate();
  } catch (err) {
    if (err instanceof FaultlineError) throw err;
    throw classify(shownPath(db.name), err);
  }
}
