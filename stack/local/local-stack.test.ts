import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BalancerEvent } from '../../balancer/index.ts';
import { Ledger } from '../../chaos/ledger.ts';
import { ChaosSession } from '../../chaos/session.ts';
import { findListeningPid } from '../../core/process/port-owner.ts';
import { killDetached } from '../../test/fixtures/detached-processes.ts';
import { RequestTimeoutError, request } from '../../test/fixtures/http.ts';
import { BALANCER_TARGET, SAMPLE_STACK } from '../sample.ts';
import { LocalStack } from './local-stack.ts';

let stack: LocalStack | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
  await killDetached();
});

async function startStack(): Promise<{ stack: LocalStack; events: BalancerEvent[] }> {
  stack = await LocalStack.start({ backends: SAMPLE_STACK });
  const events: BalancerEvent[] = [];
  stack.subscribe((e) => events.push(e), { replay: true });
  return { stack, events };
}

async function servedWithin(url: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await request(url, { timeoutMs: 1000 });
      if (res.status === 200) return String(res.headers['x-served-by']);
    } catch {
      // not back yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How long the stack's events get to arrive, checked every 50 ms. */
const SETTLE = { timeout: 5000, interval: 50 };

const session = (s: LocalStack) =>
  new ChaosSession(
    new Ledger(join(mkdtempSync(join(tmpdir(), 'faultline-ledger-')), 'ledger.jsonl')),
    s.targets,
  );

describe('the local stack runs the balancer as a child process', () => {
  it('the balancer is a separate process, a target, and its events reach subscribers', async () => {
    const { stack, events } = await startStack();
    const balancer = stack.balancerProcess;
    expect(balancer?.pid).toBeGreaterThan(0);
    expect(balancer?.pid).not.toBe(process.pid);
    expect(findListeningPid(Number(new URL(stack.url).port))).toBe(balancer?.pid);
    expect(await stack.targets.names()).toEqual(['app1', 'app2', 'app3', BALANCER_TARGET]);
    expect(stack.state().processes.map((p) => p.name)).toContain(BALANCER_TARGET);
    expect(await servedWithin(stack.url, 5000)).toMatch(/^app[12]$/);
    await vi.waitFor(() => {
      expect(
        events.map((e) => e.kind),
        'balancer-started',
      ).toContain('balancer-started');
    }, SETTLE);
    // the balancer is no sample backend: http faults refuse it before doing anything
    expect((await stack.targets.resolve(BALANCER_TARGET)).controlUrl).toBeUndefined();
  });

  it('kill balancer: clients are refused; the revert starts it again on the same address', async () => {
    const { stack, events } = await startStack();
    await servedWithin(stack.url, 5000);
    const chaos = session(stack);
    const plan = await chaos.prepare('kill', BALANCER_TARGET, {});
    await chaos.inject(plan);
    await expect(request(stack.url, { timeoutMs: 2000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(request(`${stack.adminUrl}/pools`, { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    const startedBefore = events.filter((e) => e.kind === 'balancer-started').length;
    const killed = stack.balancerProcess;
    await chaos.revertAll();
    expect(await servedWithin(stack.url, 10_000)).toMatch(/^app[12]$/);
    const admin = await request(`${stack.adminUrl}/pools`, { timeoutMs: 2000 });
    expect(admin.status).toBe(200);
    // started again through the stack's own handle: the stack tracks the new process and hears
    // its events, and it is the one listening on the address
    expect(stack.balancerProcess?.pid).not.toBe(killed?.pid);
    expect(findListeningPid(Number(new URL(stack.url).port))).toBe(stack.balancerProcess?.pid);
    await vi.waitFor(() => {
      expect(
        events.filter((e) => e.kind === 'balancer-started'),
        'balancer-started of the new process',
      ).toHaveLength(startedBefore + 1);
    }, SETTLE);
  });

  it('pause balancer: requests get no answer; the revert thaws it and they are served', async () => {
    const { stack } = await startStack();
    await servedWithin(stack.url, 5000);
    const chaos = session(stack);
    await chaos.inject(await chaos.prepare('pause', BALANCER_TARGET, {}));
    await expect(request(stack.url, { timeoutMs: 500 })).rejects.toBeInstanceOf(RequestTimeoutError);
    await chaos.revertAll();
    expect(await servedWithin(stack.url, 5000)).toMatch(/^app[12]$/);
  });

  it('restart balancer: a new process on the same address, its events still reach subscribers', async () => {
    const { stack, events } = await startStack();
    const first = stack.balancerProcess;
    const before = first?.pid;
    await stack.restart(BALANCER_TARGET);
    expect(stack.balancerProcess?.pid).not.toBe(before);
    expect(await servedWithin(stack.url, 10_000)).toMatch(/^app[12]$/);
    // Its stdout may be read a moment after its first answer: wait for the line, do not race it.
    await vi
      .waitFor(() => {
        expect(
          events.filter((e) => e.kind === 'balancer-started'),
          'the second balancer-started',
        ).toHaveLength(2);
      }, SETTLE)
      .catch((err) => {
        const fresh = stack.balancerProcess;
        throw new Error(
          `${err.message}: ${JSON.stringify(events.map((e) => [e.kind, e.seq, Math.round(e.at)]))}; new pid ${fresh?.pid} printed ${JSON.stringify(fresh?.output())}, parsed ${JSON.stringify(fresh?.events())}; the first (pid ${first?.pid}) printed ${JSON.stringify(first?.output())}`,
        );
      });
    await stack.backend('app1').kill();
    await stack.backend('app2').kill();
    const failover = await new Promise<BalancerEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no failover event from the new balancer')), 5000);
      const check = () => {
        const found = events.find((e) => e.kind === 'failover-to-backup');
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else setTimeout(check, 20);
      };
      check();
    });
    expect(failover).toMatchObject({ kind: 'failover-to-backup', backups: ['app3'] });
  });
});
