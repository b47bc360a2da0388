import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.ts';
import { ChildStartError } from '../core/process/launcher.ts';
import { SlaSyntaxError } from '../drills/sla/errors.ts';
import { startNode } from '../test/fixtures/cli-process.ts';
import { EXIT, EXIT_FOR_CODE, exitCodeFor } from './exit-codes.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin/faultline.js');
const ERRORS_DOC = join(ROOT, 'docs/errors.md');
const CODES: string[] = Object.keys(EXIT_FOR_CODE).sort();
const exitFor = (code: string): number | undefined => (EXIT_FOR_CODE as Record<string, number>)[code];

/** The rows of the doc's error-code table: code → the exit code it documents. */
function documentedCodes(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const m of readFileSync(ERRORS_DOC, 'utf8').matchAll(/^\| `(FL_[A-Z_]+)` \| (\d+) \|/gm)) {
    rows.set(m[1] as string, Number(m[2]));
  }
  return rows;
}

/** Every TypeScript source file of the project (tests too), outside node_modules and dist. */
function sourceFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'dist') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('error codes: one union, one exit-code table, one doc', () => {
  it('docs/errors.md lists every code with the exit code the CLI uses for it', () => {
    const documented = documentedCodes();
    const missing = CODES.filter((code) => !documented.has(code));
    expect(missing, 'codes missing from docs/errors.md').toEqual([]);
    const wrongExit = CODES.filter((code) => documented.get(code) !== exitFor(code)).map(
      (code) => `${code}: doc says ${documented.get(code)}, cli/exit-codes.ts says ${exitFor(code)}`,
    );
    expect(wrongExit, 'exit codes that differ').toEqual([]);
    expect(
      [...documented.keys()].filter((code) => !CODES.includes(code)),
      'documented, no such code',
    ).toEqual([]);
  });

  it('the codes written in the sources are exactly the codes of the union', () => {
    const used = new Map<string, string>();
    for (const file of sourceFiles()) {
      if (file.endsWith('core/errors.ts')) continue; // the union itself
      for (const m of readFileSync(file, 'utf8').matchAll(/'(FL_[A-Z_]+)'/g)) {
        used.set(m[1] as string, relative(ROOT, file));
      }
    }
    const unknown = [...used].filter(([code]) => !CODES.includes(code)).map(([c, f]) => `${c} (${f})`);
    expect(unknown, 'codes raised but not in FaultlineErrorCode').toEqual([]);
    expect(
      CODES.filter((code) => !used.has(code)),
      'codes in FaultlineErrorCode that nothing raises',
    ).toEqual([]);
  });
});

describe('exitCodeFor', () => {
  const report = (err: unknown) => {
    let text = '';
    const code = exitCodeFor(err, (t) => {
      text += t;
    });
    return { code, text };
  };

  it('a FaultlineError: one line, message then [code], no stack trace; FL_USAGE is 2, the rest 1', () => {
    expect(report(new FaultlineError('FL_USAGE', '--for must be a duration'))).toEqual({
      code: EXIT.usage,
      text: 'faultline: --for must be a duration [FL_USAGE]\n',
    });
    expect(
      report(new ChildStartError('backend app1 exited (exit code 2) before listening', 2, 'bad env\n')),
    ).toEqual({
      code: EXIT.error,
      text: 'faultline: backend app1 exited (exit code 2) before listening: bad env [FL_PROCESS_START_FAILED]\n',
    });
  });

  it('an error of another class carrying a documented code is reported and mapped the same way', () => {
    expect(report(new SlaSyntaxError('p(101)<1s', 'percentile must be between 0 and 100'))).toEqual({
      code: EXIT.error,
      text: 'faultline: "p(101)<1s": percentile must be between 0 and 100 [FL_SLA_INVALID]\n',
    });
  });

  it('anything else is a bug: 70, with the stack trace to report', () => {
    const { code, text } = report(new TypeError('x is undefined'));
    expect(code).toBe(EXIT.internal);
    expect(text).toMatch(
      /^faultline: unexpected internal error \(please report it\):\nTypeError: x is undefined\n\s+at /,
    );
    expect(report(Object.assign(new Error('spawn failed'), { code: 'ENOENT' })).code).toBe(EXIT.internal);
  });
});

describe('faultline demo with a stack file whose backend cannot start', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  async function demo(stackYaml: string) {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-exit-'));
    const file = join(dir, 'stack.yaml');
    await writeFile(file, stackYaml);
    const proc = startNode([BIN, 'demo', '--config', file, '--state', join(dir, 'stack.json')], {
      cwd: ROOT,
      env: process.env,
    });
    children.push(proc.child);
    return { file, exit: await proc.exited, stderr: proc.err() };
  }

  it('a backend env value the backend rejects: exit 1 (not 70), one line naming backend, variable and code', async () => {
    const { exit, stderr } = await demo(
      'backends:\n  - { name: app1 }\n  - { name: app2, env: { LATENCY_MS: fast } }\n',
    );
    expect(stderr).toBe(
      'faultline: backend app2 exited (exit code 2) before listening: sample backend: invalid environment: ' +
        'LATENCY_MS must be an integer number of milliseconds from 0 to 600000, got "fast" [FL_PROCESS_START_FAILED]\n',
    );
    expect(exit).toBe(EXIT.error);
  });

  it('balancer settings the balancer would reject: refused before anything starts, at the line written', async () => {
    const { file, exit, stderr } = await demo(
      'backends:\n  - { name: app1 }\nbalancer:\n  pool: { retries: -3 }\n',
    );
    expect(stderr).toBe(
      `faultline: invalid stack config\n  ${file}:4: balancer.pool.retries: must be an integer from 0 to 10 (got -3) [FL_CONFIG_INVALID]\n`,
    );
    expect(exit).toBe(EXIT.error);
  });
});
