/**
 * The history schema, one step per version; `PRAGMA user_version` says how many have run.
 * Never edit a step that has shipped: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: runs and their SLA results (manual drills and runbook verifications).
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY,
     run_id TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL CHECK (kind IN ('drill', 'runbook')),
     name TEXT NOT NULL,
     file TEXT,
     target TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     status TEXT NOT NULL,
     reason TEXT,
     report_dir TEXT
   );
   CREATE INDEX runs_by_name ON runs (name, started_at);
   CREATE INDEX runs_by_start ON runs (started_at);
   CREATE TABLE sla_results (
     run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     position INTEGER NOT NULL,
     source TEXT NOT NULL,
     verdict TEXT NOT NULL,
     value REAL,
     limit_value REAL NOT NULL,
     unit TEXT NOT NULL,
     op TEXT NOT NULL,
     window TEXT NOT NULL,
     detail TEXT NOT NULL,
     PRIMARY KEY (run, position)
   );`,
  // 2: schedules: which job a run belongs to, skipped ticks, leashed runs, the scheduler's
  // lock, per-job state (paused, last tick seen) and webhook deliveries.
  `ALTER TABLE runs ADD COLUMN job TEXT;
   ALTER TABLE runs ADD COLUMN tick_at INTEGER;
   ALTER TABLE runs ADD COLUMN decision TEXT;
   ALTER TABLE runs ADD COLUMN leashed INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX runs_by_job ON runs (job, started_at);
   CREATE TABLE locks (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     holding TEXT NOT NULL,
     acquired_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE job_state (
     job TEXT PRIMARY KEY,
     paused INTEGER NOT NULL DEFAULT 0,
     last_tick_at INTEGER,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE notifications (
     id INTEGER PRIMARY KEY,
     run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     url TEXT NOT NULL,
     event TEXT NOT NULL,
     outcome TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     error TEXT,
     at INTEGER NOT NULL
   );`,
];
