import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackState } from '../../chaos/targets/stack-state.ts';
import { startNode } from '../fixtures/cli-process.ts';
import { BIN, ROOT, startDemo } from '../fixtures/demo-stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'faultline-stack-cli-'));
const stackFile = join(dir, 'stack.json');
const env = { ...process.env, FAULTLINE_STACK: stackFile, FAULTLINE_LEDGER: join(dir, 'ledger.jsonl') };
const start = (args: string[]) => startNode(args, { cwd: ROOT, env });

async function run(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = start([BIN, 'stack', ...args]);
  const code = await p.exited;
  return { code, out: p.out(), err: p.err() };
}

async function status(url: string): Promise<number | 'refused'> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.text();
    return res.status;
  } catch {
    return 'refused';
  }
}

let demo: ReturnType<typeof start>;
const recorded = (name: string) =>
  (JSON.parse(readFileSync(stackFile, 'utf8')) as StackState).processes.find((p) => p.name === name);

beforeAll(async () => {
  demo = await startDemo(env);
}, 30_000);

afterAll(async () => {
  demo.child.kill('SIGTERM');
  expect(await demo.exited).toBe(0);
}, 30_000);

describe('faultline stack against the running demo stack', () => {
  it('status lists every service running, with its pid', async () => {
    const r = await run('status');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'app1 running',
      'app2 running',
      'app3 running',
      'balancer running',
    ]);
    expect(lines[0]).toContain(String(recorded('app1')?.pid));
  });

  it('stop, start and restart a backend as docker compose does, idempotently', async () => {
    const url = recorded('app2')?.url as string;
    const before = recorded('app2')?.pid;
    expect(await run('stop', 'app2')).toMatchObject({ code: 0, out: 'app2: stopped\n' });
    expect(await status(`${url}/health`)).toBe('refused');
    expect((await run('status', 'app2')).out).toMatch(/^app2\s+stopped\s+-/);
    expect(await run('stop', 'app2')).toMatchObject({ code: 0, out: 'app2: already stopped\n' });

    expect(await run('start', 'app2')).toMatchObject({ code: 0, out: 'app2: started\n' });
    expect(await status(`${url}/health`)).toBe(200);
    const started = recorded('app2')?.pid;
    expect(started).not.toBe(before);
    expect(await run('start', 'app2')).toMatchObject({ code: 0, out: 'app2: already running\n' });

    expect(await run('restart', 'app2')).toMatchObject({ code: 0, out: 'app2: restarted\n' });
    expect(recorded('app2')?.pid).not.toBe(started);
    expect(await status(`${url}/health`)).toBe(200);
  }, 40_000);

  it('shows a paused service as paused', async () => {
    const pid = recorded('app3')?.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      expect((await run('status', 'app3')).out).toMatch(/^app3\s+paused\s+\d+/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('refuses an unknown action or service, and a missing stack, with one clear line', async () => {
    const action = await run('explode', 'app1');
    expect(action.code, 'a usage error').toBe(2);
    expect(action.err).toContain('unknown stack action "explode" (actions: status, stop, start, restart)');
    const service = await run('stop', 'app9');
    expect(service.code).toBe(1);
    expect(service.err).toContain(
      'no target named "app9" in the local stack (targets: app1, app2, app3, balancer)',
    );
    const missing = await run('status', '--stack', join(dir, 'none.json'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no local stack is running');
    expect(`${action.err}${service.err}${missing.err}`).not.toMatch(/\n\s+at /);
  });
});
