import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../recording.ts';
import { RequestsLog } from './requests-log.ts';

let base: string | undefined;
afterEach(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

const record = (i: number): RequestRecord => ({
  intended: 1000 + i,
  sent: 1000 + i,
  latencyMs: 2.5,
  method: 'GET',
  path: `/items/${i}`,
  status: i % 10 === 0 ? 502 : 200,
  ...(i % 10 === 0 ? { error: 'upstream_reset' } : { servedBy: 'app1' }),
});

async function lines(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text === ''
    ? []
    : text
        .slice(0, -1)
        .split('\n')
        .map((l) => JSON.parse(l));
}

describe('RequestsLog (requests.jsonl)', () => {
  it('writes every record as one complete JSON line, in batches, all of them on disk after close', async () => {
    base = await mkdtemp(join(tmpdir(), 'faultline-requests-'));
    const file = join(base, 'run', 'requests.jsonl');
    const log = await RequestsLog.open(file, { batchBytes: 1024 });
    const records = Array.from({ length: 2000 }, (_, i) => record(i));
    for (const r of records) log.write(r);
    // Batches went out while writing: the file grows during the run, not only at the end.
    await new Promise((r) => setTimeout(r, 50));
    expect((await lines(file)).length).toBeGreaterThan(0);
    expect(await log.close()).toEqual({ file, written: 2000, dropped: 0 });
    expect(await lines(file)).toEqual(records);
    expect(await log.close()).toEqual({ file, written: 2000, dropped: 0 });
  });

  it('when the disk falls behind, drops whole batches and counts them instead of buffering without end', async () => {
    base = await mkdtemp(join(tmpdir(), 'faultline-requests-'));
    const file = join(base, 'requests.jsonl');
    // Everything is written within one tick: the stream cannot drain, so its queue is the bound.
    const log = await RequestsLog.open(file, { batchBytes: 2048, maxQueuedBytes: 16 * 1024 });
    for (let i = 0; i < 5000; i++) log.write(record(i));
    const summary = await log.close();
    expect(summary.dropped).toBeGreaterThan(0);
    expect(summary.written + summary.dropped).toBe(5000);
    const written = await lines(file);
    expect(written).toHaveLength(summary.written);
    expect(written[0]).toEqual(record(0));
  });

  it('refuses a file it cannot create, before the run starts', async () => {
    base = await mkdtemp(join(tmpdir(), 'faultline-requests-'));
    await writeFile(join(base, 'a-file'), '');
    await expect(RequestsLog.open(join(base, 'a-file', 'requests.jsonl'))).rejects.toThrow(/ENOTDIR|EEXIST/);
  });
});
