import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../core/errors.ts';
import { sampleJournal } from '../reports/sample-journal.ts';
import { openHistoryDb } from './history-db.ts';
import { MIGRATIONS } from './migrations.ts';
import { listRuns, outcomeOf, recordRun, recordSkip } from './runs.ts';

const WRITER = fileURLToPath(new URL('../../test/fixtures/history-writer.ts', import.meta.url));

function file(): string {
  return join(mkdtempSync(join(tmpdir(), 'faultline-history-')), 'history.sqlite');
}

function refusal(path: string): FaultlineError {
  try {
    openHistoryDb(path).close();
  } catch (err) {
    expect(err).toBeInstanceOf(FaultlineError);
    return err as FaultlineError;
  }
  throw new Error('expected the history to be refused');
}

describe('history', () => {
  it('records a run with every SLA value and limit, and lists it back', () => {
    const db = openHistoryDb(file());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const journal = sampleJournal();
    const run = recordRun(db, journal, { reportDir: '/reports/x' });
    const [listed] = listRuns(db, { name: journal.drill.name });
    expect(listed).toEqual(run);
    expect(listed?.status).toBe(outcomeOf(journal).status);
    expect(listed?.sla.map((s) => s.source)).toEqual([
      ...journal.steadyState.before.map((s) => `steady before: ${s.source}`),
      ...journal.sla.map((s) => s.source),
      ...journal.steadyState.after.map((s) => `steady after: ${s.source}`),
    ]);
    const first = journal.sla[0];
    expect(listed?.sla.find((s) => s.source === first?.source)).toMatchObject({
      value: first?.value,
      limit: first?.limit,
      unit: first?.unit,
      verdict: first?.verdict,
    });
    expect(listRuns(db, { name: 'another' })).toEqual([]);
    expect(listRuns(db, { since: Date.parse(journal.startedAt) + 1 })).toEqual([]);
    db.close();
  });

  it('maps journal outcomes to history statuses', () => {
    const j = sampleJournal();
    expect(outcomeOf({ ...j, status: 'failed', reason: 'boom' })).toEqual({
      status: 'error',
      reason: 'boom',
    });
    expect(outcomeOf({ ...j, status: 'aborted', reason: 'not steady' }).status).toBe('aborted');
    expect(outcomeOf({ ...j, deviated: true }).status).toBe('breached');
    const passing = { ...j, deviated: false, sla: j.sla.map((s) => ({ ...s, verdict: 'passed' as const })) };
    expect(outcomeOf(passing).status).toBe('passed');
    expect(outcomeOf({ ...passing, leashed: true }).status).toBe('passed');
  });

  it('migrates a history written by an older version, keeping its runs', () => {
    const path = file();
    const old = new Database(path);
    old.exec(MIGRATIONS[0] as string);
    old.pragma('user_version = 1');
    old.pragma(`application_id = ${0x464c5448}`);
    old
      .prepare(
        `INSERT INTO runs (run_id, kind, name, target, started_at, ended_at, status) VALUES ('r1', 'drill', 'primary-crash', 'local', 1, 2, 'passed')`,
      )
      .run();
    old.close();
    const db = openHistoryDb(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const [run] = listRuns(db);
    expect(run).toMatchObject({ runId: 'r1', name: 'primary-crash', status: 'passed', leashed: false });
    expect(run?.job).toBeUndefined();
    db.close();
  });

  it('refuses a damaged file with one clear message and leaves it as it was', () => {
    const path = file();
    writeFileSync(path, 'this is not a database, it is a shopping list\n'.repeat(100));
    const before = readFileSync(path);
    const err = refusal(path);
    expect(err.code).toBe('FL_HISTORY_CORRUPT');
    expect(err.message).toMatch(
      /history .*history\.sqlite cannot be used: file is not a database\. faultline does not replace it/,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a history whose pages are damaged', () => {
    const path = file();
    const db = openHistoryDb(path);
    for (let i = 0; i < 300; i++) {
      recordSkip(db, {
        job: 'j',
        kind: 'drill',
        name: 'x'.repeat(200),
        target: 'local',
        tickAt: i,
        decision: 'overlap',
        reason: 'r'.repeat(200),
      });
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const bytes = readFileSync(path);
    bytes.fill(0xa5, 4096 * 3, 4096 * 6);
    writeFileSync(path, bytes);
    expect(refusal(path).code).toBe('FL_HISTORY_CORRUPT');
  });

  it('refuses another SQLite database, and one written by a newer faultline', () => {
    const foreign = file();
    const other = new Database(foreign);
    other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    other.close();
    const err = refusal(foreign);
    expect(err.code).toBe('FL_HISTORY_CORRUPT');
    expect(err.message).toContain('an SQLite database, but not a faultline history');

    const newer = file();
    openHistoryDb(newer).close();
    const db = new Database(newer);
    db.pragma('user_version = 99');
    db.close();
    const ahead = refusal(newer);
    expect(ahead.code).toBe('FL_HISTORY_NEWER');
    expect(ahead.message).toContain('schema version 99');
  });

  it('two processes and this one writing at once lose nothing and corrupt nothing', async () => {
    const path = file();
    openHistoryDb(path).close();
    const writers = ['a', 'b'].map((name) =>
      spawn(process.execPath, ['--import', 'tsx', WRITER, path, name, '300'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    // Listened for from the start: a writer may be done before this process writes at all.
    const exits = writers.map((w) => {
      let stderr = '';
      w.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      return new Promise<{ code: number | null; stderr: string }>((resolve) =>
        w.once('exit', (code) => resolve({ code, stderr })),
      );
    });
    // Every writer has the file open; then all three write at once.
    await Promise.all(
      writers.map((w, i) =>
        Promise.race([
          once(w.stdout, 'data'),
          (exits[i] as Promise<{ code: number | null; stderr: string }>).then(({ code, stderr }) => {
            throw new Error(`a writer exited (${code}) before it was ready: ${stderr}`);
          }),
        ]),
      ),
    );
    for (const w of writers) w.stdin.end('go\n');
    const db = openHistoryDb(path);
    for (let i = 0; i < 300; i++) {
      recordSkip(db, {
        job: 'main',
        kind: 'drill',
        name: 'main',
        target: 'local',
        tickAt: i,
        decision: 'overlap',
        reason: `${i}`,
      });
    }
    const codes = (await Promise.all(exits)).map((e) => e.code);
    expect(codes).toEqual([0, 0]);
    for (const name of ['a', 'b', 'main']) expect(listRuns(db, { job: name, limit: 1000 })).toHaveLength(300);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
