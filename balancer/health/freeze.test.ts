import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, expect, it, vi } from 'vitest';
import type { HttpHealthConfig } from '../config/types.ts';
import { ActiveHealthChecker } from './active-health-checker.ts';
import { within } from './probe-target.fixture.ts';
import { probeTcp } from './tcp-probe.ts';

const SERVER = `require('node:http').createServer((q, s) => s.end('ok'))
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

const cfg: HttpHealthConfig = {
  type: 'http',
  path: '/health',
  expectStatus: { min: 200, max: 399 },
  interval: 200,
  fastInterval: 100,
  timeout: 100,
  rise: 2,
  fall: 2,
};
const TOLERANCE = 400;

let child: ChildProcess | undefined;
let checker: ActiveHealthChecker | undefined;

afterEach(async () => {
  await checker?.stop();
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGCONT'); // only the PID spawned here
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
});

it('an http check detects a SIGSTOP-frozen process (a tcp check cannot) and sees it come back', async () => {
  child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout as NonNullable<ChildProcess['stdout']>, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${Number(line.toString().trim())}`;

  const transitions: { healthy: boolean; reason: string; at: number }[] = [];
  checker = new ActiveHealthChecker({
    pool: 'web',
    config: cfg,
    onTransition: (_server, healthy, reason) => transitions.push({ healthy, reason, at: performance.now() }),
  });
  checker.add({ name: 'child', url });
  checker.start();
  await vi.waitFor(() => {
    expect(checker?.status('child')?.consecutiveOk ?? 0, 'two successful probes').toBeGreaterThanOrEqual(2);
  }, within(2000));

  child.kill('SIGSTOP');
  const frozenAt = performance.now();
  const downBound = cfg.fall * cfg.interval + cfg.timeout;
  await vi.waitFor(
    () => {
      expect(transitions, 'the frozen process marked down').toHaveLength(1);
    },
    within(downBound + TOLERANCE),
  );
  expect(transitions[0]).toMatchObject({
    healthy: false,
    reason: '2 consecutive failures: timeout after 100ms',
  });
  console.log(
    `SIGSTOP: detected in ${((transitions[0]?.at ?? 0) - frozenAt).toFixed(0)}ms (bound ${downBound}ms)`,
  );
  // The kernel still completes handshakes for the frozen process.
  expect((await probeTcp('127.0.0.1', Number(new URL(url).port), 200)).ok).toBe(true);

  child.kill('SIGCONT');
  const resumedAt = performance.now();
  const upBound = cfg.interval + (cfg.rise - 1) * cfg.fastInterval + cfg.timeout;
  await vi.waitFor(
    () => {
      expect(transitions, 'the resumed process marked up').toHaveLength(2);
    },
    within(upBound + TOLERANCE),
  );
  expect(transitions[1]).toMatchObject({ healthy: true, reason: '2 consecutive successes: HTTP 200' });
  console.log(`SIGCONT: up in ${((transitions[1]?.at ?? 0) - resumedAt).toFixed(0)}ms (bound ${upBound}ms)`);
});
