import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StackState } from '../../chaos/targets/stack-state.ts';
import { startNode } from '../fixtures/cli-process.ts';
import { startDemo } from '../fixtures/demo-stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/faultline.js');
const dir = mkdtempSync(join(tmpdir(), 'faultline-chaos-'));
const stackFile = join(dir, 'stack.json');
const ledgerFile = join(dir, 'ledger.jsonl');
const env = { ...process.env, FAULTLINE_STACK: stackFile, FAULTLINE_LEDGER: ledgerFile };

const start = (args: string[]) => startNode(args, { cwd: ROOT, env });
/** How long a child process gets to print what a test waits for, checked every 50 ms. */
const SETTLE = { timeout: 15_000, interval: 50 };

/** Status of GET url, or 'no answer' if none within timeoutMs. */
async function probe(url: string, timeoutMs = 600): Promise<number | 'no answer' | 'refused'> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.text();
    return res.status;
  } catch (err) {
    return (err as Error).name === 'TimeoutError' ? 'no answer' : 'refused';
  }
}

let demo: ReturnType<typeof start>;
let state: StackState;
const stray: ChildProcess[] = [];

beforeAll(async () => {
  demo = await startDemo(env);
  state = JSON.parse(readFileSync(stackFile, 'utf8')) as StackState;
}, 30_000);

afterAll(async () => {
  for (const c of stray) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  demo.child.kill('SIGTERM');
  expect(await demo.exited).toBe(0);
  expect(existsSync(stackFile)).toBe(false);
}, 30_000);

const backendUrl = (name: string) => state.processes.find((p) => p.name === name)?.url as string;

describe('faultline chaos / revert against the running demo stack', () => {
  it('a fault against a target that does not exist fails clearly and injects nothing', async () => {
    const r = start([BIN, 'chaos', 'pause', 'nope']);
    expect(await r.exited).toBe(1);
    expect(r.err()).toContain(
      'no target named "nope" in the local stack (targets: app1, app2, app3, balancer)',
    );
    expect(existsSync(ledgerFile)).toBe(false);
    const bad = start([BIN, 'chaos', 'latency', 'app1', '-p', 'latency=soon']);
    expect(await bad.exited).toBe(1);
    expect(bad.err()).toContain('latency: latency: must be a duration');
    const unknown = start([BIN, 'chaos', 'explode', 'app1']);
    expect(await unknown.exited).toBe(1);
    expect(unknown.err()).toContain('unknown fault "explode"');
  });

  it('--dry-run says what it would do and touches nothing', async () => {
    const r = start([BIN, 'chaos', 'pause', 'app1', '--dry-run']);
    expect(await r.exited).toBe(0);
    expect(r.out()).toContain('dry run: would');
    expect(await probe(backendUrl('app1'))).toBe(200);
    expect(existsSync(ledgerFile)).toBe(false);
  });

  it('--for injects, holds, and reverts by itself', async () => {
    const r = start([BIN, 'chaos', 'pause', 'app2', '--for', '1s']);
    await vi.waitFor(() => {
      expect(r.out(), 'injection').toContain('injected');
    }, SETTLE);
    expect(await probe(backendUrl('app2'))).toBe('no answer');
    expect(await r.exited).toBe(0);
    expect(await probe(backendUrl('app2'), 3000)).toBe(200);
  });

  it('partition takes the backend off the network (its proxy) and --for puts it back', async () => {
    const r = start([BIN, 'chaos', 'partition', 'app2', '--for', '1s']);
    await vi.waitFor(() => {
      expect(r.out(), 'injection').toContain('injected');
    }, SETTLE);
    const during = await (await fetch(`${state.proxyControlUrl}/proxies/app2`)).json();
    expect(during.enabled).toBe(false);
    expect(await r.exited).toBe(0);
    const after = await (await fetch(`${state.proxyControlUrl}/proxies/app2`)).json();
    expect(after.enabled).toBe(true);
  });

  it('SIGINT while a fault is held reverts it and exits 130', async () => {
    const r = start([BIN, 'chaos', 'latency', 'app1', '-p', 'latency=300ms', '--for', '60s']);
    await vi.waitFor(() => {
      expect(r.out(), 'injection').toContain('injected');
    }, SETTLE);
    const during = await (await fetch(`${state.proxyControlUrl}/proxies/app1/toxics`)).json();
    expect(JSON.stringify(during)).toContain('faultline_latency_downstream');
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(130);
    expect(r.out()).toContain('reverted: add toxic latency');
    const after = await (await fetch(`${state.proxyControlUrl}/proxies/app1/toxics`)).json();
    expect(JSON.stringify(after)).not.toContain('faultline_latency');
  });

  it('after SIGKILL of the injector, `faultline revert` restores a freeze and a latency toxic', async () => {
    const injector = start([
      '--import',
      'tsx',
      join(ROOT, 'test/fixtures/chaos-injector.ts'),
      stackFile,
      ledgerFile,
      'pause:app1',
      'latency:app2:{"latency":"400ms"}',
    ]);
    stray.push(injector.child);
    await vi.waitFor(() => {
      expect(injector.out(), `injector (${injector.err()})`).toContain('injected');
    }, SETTLE);
    injector.child.kill('SIGKILL');
    await injector.exited;

    expect(await probe(backendUrl('app1'))).toBe('no answer');
    const toxics = await (await fetch(`${state.proxyControlUrl}/proxies/app2/toxics`)).json();
    expect(JSON.stringify(toxics)).toContain('faultline_latency_downstream');

    const revert = start([BIN, 'revert']);
    expect(await revert.exited).toBe(0);
    expect(revert.out()).toContain('2 reverted, 0 failed');
    expect(await probe(backendUrl('app1'), 3000)).toBe(200);
    const after = await (await fetch(`${state.proxyControlUrl}/proxies/app2/toxics`)).json();
    expect(JSON.stringify(after)).not.toContain('faultline_latency');

    const again = start([BIN, 'revert']);
    expect(await again.exited).toBe(0);
    expect(again.out()).toContain('nothing to revert');
  });

  it('a killed backend comes back through `faultline revert` on its own port', async () => {
    const r = start([BIN, 'chaos', 'kill', 'app3']);
    expect(await r.exited).toBe(0);
    expect(await probe(backendUrl('app3'))).toBe('refused');
    const revert = start([BIN, 'revert']);
    expect(await revert.exited).toBe(0);
    expect(await probe(backendUrl('app3'), 3000)).toBe(200);
  });

  it('the balancer is a process of the stack: killed, then back on its address through `faultline revert`', async () => {
    const balancer = state.processes.find((p) => p.name === 'balancer');
    expect(balancer?.port).toBe(Number(new URL(state.balancer.url).port));
    expect(await probe(state.balancer.url, 3000)).toBe(200);
    const r = start([BIN, 'chaos', 'kill', 'balancer']);
    expect(await r.exited).toBe(0);
    expect(await probe(state.balancer.url)).toBe('refused');
    const revert = start([BIN, 'revert']);
    expect(await revert.exited).toBe(0);
    let status = await probe(state.balancer.url, 3000);
    const deadline = Date.now() + 10_000;
    while (status !== 200 && Date.now() < deadline) status = await probe(state.balancer.url, 3000);
    expect(status).toBe(200);
    expect(await probe(`${state.balancer.adminUrl}/pools`)).toBe(200);
  });
});
