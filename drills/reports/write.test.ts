import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleJournal } from './sample-journal.ts';
import { writeReports } from './write.ts';

let base: string | undefined;

afterEach(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

describe('writeReports', () => {
  it('creates the directory and writes the three reports, with no temporary files left behind', async () => {
    base = await mkdtemp(join(tmpdir(), 'faultline-write-'));
    const dir = join(base, 'runs', 'primary-crash');
    const journal = sampleJournal();
    const result = await writeReports(journal, dir);
    expect(result.dir).toBe(dir);
    expect(result.files.map((f) => f.slice(dir.length + 1))).toEqual([
      'journal.json',
      'junit.xml',
      'report.html',
    ]);
    expect((await readdir(dir)).sort()).toEqual(['journal.json', 'junit.xml', 'report.html']);
    const journalText = await readFile(join(dir, 'journal.json'), 'utf8');
    expect(JSON.parse(journalText)).toEqual(journal);
    expect(journalText).toContain('\n  "version": 1,');
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toMatch(/^<\?xml/);
  });

  it('overwrites the reports of an earlier run in the same directory, leaving requests.jsonl alone', async () => {
    base = await mkdtemp(join(tmpdir(), 'faultline-write-'));
    await writeReports(sampleJournal(), base);
    await writeFile(join(base, 'requests.jsonl'), '{"intended":1}\n');
    const second = { ...sampleJournal(), runId: 'second' };
    await writeReports(second, base);
    expect(JSON.parse(await readFile(join(base, 'journal.json'), 'utf8')).runId).toBe('second');
    expect(await readFile(join(base, 'requests.jsonl'), 'utf8')).toBe('{"intended":1}\n');
    expect((await readdir(base)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
