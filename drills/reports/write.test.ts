import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../recording.ts';
import { sampleJournal } from './sample-journal.ts';
import { writeReports } from './write.ts';

let base: string | undefined;

afterEach(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

describe('writeReports', () => {
  it('creates the directory and writes the four files, with no temporary files left behind', async () => {
    base = await mkdtemp(join(tmpdir(), 'faultline-write-'));
    const dir = join(base, 'runs', 'primary-crash');
    const requests: RequestRecord[] = [
      { intended: 1, sent: 1, latencyMs: 5, method: 'GET', path: '/', status: 200, servedBy: 'app1' },
      {
        intended: 2,
        sent: 3,
        latencyMs: 9,
        method: 'POST',
        path: '/orders',
        status: 0,
        error: 'ECONNREFUSED',
      },
    ];
    const journal = sampleJournal();
    const result = await writeReports(journal, requests, dir);
    expect(result.dir).toBe(dir);
    expect(result.files.map((f) => f.slice(dir.length + 1))).toEqual([
      'journal.json',
      'junit.xml',
      'report.html',
      'requests.jsonl',
    ]);
    expect((await readdir(dir)).sort()).toEqual([
      'journal.json',
      'junit.xml',
      'report.html',
      'requests.jsonl',
    ]);
    const journalText = await readFile(join(dir, 'journal.json'), 'utf8');
    expect(JSON.parse(journalText)).toEqual(journal);
    expect(journalText).toContain('\n  "version": 1,');
    const lines = (await readFile(join(dir, 'requests.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(requests);
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toMatch(/^<\?xml/);
  });

  it('overwrites the reports of an earlier run in the same directory', async () => {
    base = await mkdtemp(join(tmpdir(), 'faultline-write-'));
    await writeReports(sampleJournal(), [], base);
    const second = { ...sampleJournal(), runId: 'second' };
    await writeReports(second, [], base);
    expect(JSON.parse(await readFile(join(base, 'journal.json'), 'utf8')).runId).toBe('second');
    expect(await readFile(join(base, 'requests.jsonl'), 'utf8')).toBe('');
  });
});
