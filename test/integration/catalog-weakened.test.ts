import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CATALOG } from '../../drills/catalog/index.ts';
import { catalogFile, importDrillFile } from '../../drills/drill-files.ts';
import { runDrill } from '../../drills/runner/run-drill.ts';
import type { DrillPlan } from '../../drills/validate.ts';

/**
 * The catalog's SLAs can fail: each drill here runs on a stack with the mechanism its SLAs are
 * about taken away, and must be breached (completed, deviated), on the SLAs that mechanism
 * keeps. catalog.test.ts shows the same drills green on the stack as it is.
 */

/** The drill as written, its stack's pool settings changed (key by key, as its own `stack.pool` is). */
function weakened(drill: DrillPlan, pool: Record<string, unknown>): DrillPlan {
  return { ...drill, stack: { ...drill.stack, pool: { ...drill.stack.pool, ...pool } } };
}

/** No retry, no active health check: only passive detection (outlier ejection, breaker) is left. */
const BARE = { retries: 0, health: false };

interface Case {
  drill: (typeof CATALOG)[number];
  /** What is taken away, for the test's name. */
  without: string;
  pool: Record<string, unknown>;
  /** SLAs (as the drill writes them) that must be breached. */
  breaches: string[];
}

const CASES: Case[] = [
  {
    // The requests app1 had, and those sent to it before it is ejected, fail.
    drill: 'primary-crash',
    without: 'retries and health checks',
    pool: BARE,
    breaches: ['errors==0 overall'],
  },
  {
    // app1 comes back at full share: no slow-start event, whatever else holds.
    drill: 'primary-crash',
    without: 'slow start',
    pool: { slowStart: 0 },
    breaches: ['events(slow-start, app1)>=1 after restore'],
  },
  {
    // Requests to the frozen app2 wait out the 1s response timeout and fail; nothing probes it,
    // so it is never seen up again.
    drill: 'primary-freeze',
    without: 'retries and health checks',
    pool: BARE,
    breaches: ['error_rate<1% during freeze', 'events(server-up, app2)>=1 after freeze'],
  },
  {
    // No retry goes to the standby: every request to a dead primary fails until it is ejected.
    drill: 'primaries-down',
    without: 'retries and health checks',
    pool: BARE,
    breaches: ['errors==0 overall'],
  },
  {
    // app2 keeps its share of the 500s.
    drill: 'error-spewer',
    without: 'outlier detection',
    pool: { outlier: { consecutive5xx: 0 } },
    breaches: ['detection<2s for spew', 'error_rate<5% during spew'],
  },
  {
    // Latency-blind and no hedging: app2 keeps its 25%, and a quarter of the requests take
    // 100ms. (Hedging alone routes around it: requests on app2 outlast the 100ms hedge delay,
    // lose their races to app1, and app2 is ejected.)
    drill: 'slow-backend',
    without: 'a latency-aware algorithm or hedging',
    pool: { algorithm: 'weighted-round-robin', hedge: { enabled: false } },
    breaches: ['served_by(app2)<10% during slow', 'p(95)<50ms during slow'],
  },
  {
    // Latency-blind, but a health timeout under the latency takes app2 out within 350ms: that
    // meets the share and latency bounds (about 3% and p95 17ms), so only "slow, not down" can
    // tell that the algorithm did not route around it.
    drill: 'slow-backend',
    without: 'a latency-aware algorithm, with a 50ms health timeout',
    pool: {
      algorithm: 'weighted-round-robin',
      health: { type: 'http', path: '/health', interval: '250ms', timeout: '50ms', rise: 2, fall: 2 },
    },
    breaches: ['events(server-down, app2)==0 overall'],
  },
  {
    // Flap damping defeated: the sit-out of a flapping server (its ejection time) is shorter
    // than a gap, so every blip ejects it and every gap lets it back.
    drill: 'flapping',
    without: 'flap damping (100ms ejections)',
    pool: { outlier: { consecutiveGatewayFailures: 1, baseEjectionTime: '100ms', maxEjectionTime: '100ms' } },
    breaches: ['events(ejected, app2)<=3 overall', 'served_by(app2)==0 during gap2'],
  },
  {
    // Only the health checks take app2 out, and traffic follows them: back in every gap.
    drill: 'flapping',
    without: 'passive detection',
    pool: { outlier: { consecutiveGatewayFailures: 0 } },
    breaches: ['events(ejected, app2)>=2 overall', 'served_by(app2)==0 during gap2'],
  },
  {
    // Nothing takes the dead app1 out and no connect is retried: every new connection sent to
    // it fails, all through the crash.
    drill: 'tcp-failover',
    without: 'retries, health checks and outlier ejection',
    pool: { ...BARE, outlier: { consecutiveGatewayFailures: 0 }, breaker: { enabled: false } },
    breaches: ['errors<=4 during crash'],
  },
];

describe('the catalog on a weakened stack: its SLAs catch it', () => {
  for (const { drill: name, without, pool, breaches } of CASES) {
    it(`${name} without ${without}: BREACH of ${breaches.join(', ')}`, async () => {
      const drill = weakened(await importDrillFile(catalogFile(name)), pool);
      const dir = mkdtempSync(join(tmpdir(), 'faultline-weakened-'));
      const { journal } = await runDrill(drill, { ledgerFile: join(dir, 'ledger.jsonl') });
      const verdicts = Object.fromEntries(journal.sla.map((s) => [s.source, s.verdict]));
      const why = [
        `${name}: ${journal.status}${journal.reason ? ` (${journal.reason})` : ''}`,
        ...[...journal.steadyState.before, ...journal.sla].map(
          (s) => `${s.verdict}: ${s.source}: ${s.detail}`,
        ),
      ].join('\n');
      // Ran through (steady before, every step done): a breach, not an abort or a failed step.
      expect(journal.status, why).toBe('completed');
      expect(journal.deviated, why).toBe(true);
      expect(Object.keys(verdicts)).toEqual(expect.arrayContaining(breaches));
      expect(Object.fromEntries(breaches.map((b) => [b, verdicts[b]])), why).toEqual(
        Object.fromEntries(breaches.map((b) => [b, 'failed'])),
      );
    }, 60_000);
  }
});
