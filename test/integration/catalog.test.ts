import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CATALOG } from '../../drills/catalog/index.ts';
import type { Journal } from '../../drills/journal/types.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

it('the whole built-in catalog runs green on the local stack (`npm run drill`)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-catalog-'));
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/faultline.js'), 'drill', '--report-dir', dir, '--no-progress'],
    {
      cwd: ROOT,
      env: { ...process.env, FAULTLINE_LEDGER: join(dir, 'ledger.jsonl') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (out += c));
  const [code] = await once(child, 'exit');
  const journals = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .map((run) => JSON.parse(readFileSync(join(dir, run, 'journal.json'), 'utf8')) as Journal);
  const notMet = journals.flatMap((j) =>
    [...j.sla, ...j.steadyState.before, ...j.steadyState.after]
      .filter((s) => s.verdict !== 'passed')
      .map((s) => `${j.drill.name}: ${s.detail}`),
  );
  expect(notMet, out).toEqual([]);
  expect(journals.map((j) => j.drill.name).sort()).toEqual([...CATALOG].sort());
  expect(journals.map((j) => `${j.drill.name} ${j.status}${j.reason ? `: ${j.reason}` : ''}`)).toEqual(
    journals.map((j) => `${j.drill.name} completed`),
  );
  expect(code, out).toBe(0);
}, 240_000);
