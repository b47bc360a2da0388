import { describe, expect, it } from 'vitest';
import { poolConfig } from '../admin/admin.fixture.ts';
import { type BalancerEvent, EventBus } from '../events.ts';
import { Pool } from './pool.ts';

type Step =
  | `eject ${string}`
  | `breaker ${string}`
  | `down ${string}`
  | `disable ${string}`
  | `drain ${string}`;

interface Case {
  name: string;
  servers: string[];
  /** Servers whose name starts with "z" are backups. */
  steps: Step[];
  threshold?: number;
  served: string[];
  tier: 'primary' | 'backup' | 'none';
  panic: boolean;
}

const CASES: Case[] = [
  {
    name: 'nothing out',
    servers: ['a', 'b', 'c'],
    steps: [],
    served: ['a', 'b', 'c'],
    tier: 'primary',
    panic: false,
  },
  {
    name: 'one of three ejected (67% pass): the other two serve',
    servers: ['a', 'b', 'c'],
    steps: ['eject a'],
    served: ['b', 'c'],
    tier: 'primary',
    panic: false,
  },
  {
    name: 'two of three ejected (33% < 50%): traffic across all three',
    servers: ['a', 'b', 'c'],
    steps: ['eject a', 'eject b'],
    served: ['a', 'b', 'c'],
    tier: 'primary',
    panic: true,
  },
  {
    name: 'every server ejected, no backup: traffic across all',
    servers: ['a', 'b', 'c'],
    steps: ['eject a', 'eject b', 'eject c'],
    served: ['a', 'b', 'c'],
    tier: 'primary',
    panic: true,
  },
  {
    name: 'every breaker open: traffic across all',
    servers: ['a', 'b'],
    steps: ['breaker a', 'breaker b'],
    served: ['a', 'b'],
    tier: 'primary',
    panic: true,
  },
  {
    name: 'ejection and breaker count together',
    servers: ['a', 'b', 'c'],
    steps: ['eject a', 'breaker b'],
    served: ['a', 'b', 'c'],
    tier: 'primary',
    panic: true,
  },
  {
    name: 'a server down by active checks stays out, even in panic',
    servers: ['a', 'b', 'c'],
    steps: ['down a', 'eject b', 'eject c'],
    served: ['b', 'c'],
    tier: 'primary',
    panic: true,
  },
  {
    name: 'servers down by active checks are not counted (1 of 2 live pass: 50%)',
    servers: ['a', 'b', 'c', 'd'],
    steps: ['down a', 'down b', 'eject c'],
    served: ['d'],
    tier: 'primary',
    panic: false,
  },
  {
    name: 'disabled and draining servers stay out, even in panic',
    servers: ['a', 'b', 'c', 'd'],
    steps: ['disable a', 'drain b', 'eject c', 'eject d'],
    served: ['c', 'd'],
    tier: 'primary',
    panic: true,
  },
  {
    name: 'primaries ejected, backup passing: failover to the backup, no panic',
    servers: ['a', 'b', 'z'],
    steps: ['eject a', 'eject b'],
    served: ['z'],
    tier: 'backup',
    panic: false,
  },
  {
    name: 'every primary down by active checks: the backup serves, as before',
    servers: ['a', 'b', 'z'],
    steps: ['down a', 'down b'],
    served: ['z'],
    tier: 'backup',
    panic: false,
  },
  {
    name: 'every primary and backup passively out: the primaries panic, the backup gets nothing',
    servers: ['a', 'b', 'z'],
    steps: ['eject a', 'eject b', 'eject z'],
    served: ['a', 'b'],
    tier: 'primary',
    panic: true,
  },
  {
    name: 'a panic among primaries does not spill to the backups',
    servers: ['a', 'b', 'c', 'z'],
    steps: ['eject a', 'breaker b'],
    served: ['a', 'b', 'c'],
    tier: 'primary',
    panic: true,
  },
  {
    name: 'every primary down by active checks, backup ejected: the backup tier panics',
    servers: ['a', 'b', 'z'],
    steps: ['down a', 'down b', 'eject z'],
    served: ['z'],
    tier: 'backup',
    panic: true,
  },
  {
    name: 'everything down by active checks: nothing is served',
    servers: ['a', 'z'],
    steps: ['down a', 'down z'],
    served: [],
    tier: 'none',
    panic: false,
  },
  {
    name: 'threshold 0 disables panic: every server ejected leaves the pool empty',
    servers: ['a', 'b'],
    steps: ['eject a', 'eject b'],
    threshold: 0,
    served: [],
    tier: 'none',
    panic: false,
  },
  {
    name: 'threshold 100: any passive verdict means panic',
    servers: ['a', 'b'],
    steps: ['eject a'],
    threshold: 100,
    served: ['a', 'b'],
    tier: 'primary',
    panic: true,
  },
];

/** Gateway failures eject at once; 5xx answers only feed the breaker (when enabled). */
function makePool(
  servers: string[],
  options: { threshold?: number; breaker?: boolean; baseEjectionTime?: number },
) {
  const { threshold = 50, breaker = false, baseEjectionTime = 60_000 } = options;
  const base = poolConfig(
    'web',
    servers.map((name) => ({ name, backup: name.startsWith('z') })),
  );
  const events = new EventBus();
  const pool = new Pool(
    {
      ...base,
      outlier: {
        ...base.outlier,
        consecutive5xx: 0,
        consecutiveGatewayFailures: 1,
        baseEjectionTime,
        maxEjectionPercent: 100,
      },
      breaker: { ...base.breaker, enabled: breaker, minRequests: 1 },
      panicThreshold: threshold,
    },
    events,
  );
  return { pool, events };
}

/** One failed try on `name`, judged as a real one is: the outcome decides ejection or breaker. */
function failOn(pool: Pool, name: string, mechanism: 'eject' | 'breaker'): void {
  const server = pool.byName(name);
  server.inflight++;
  const outcome = mechanism === 'eject' ? 'gateway-failure' : 'http-5xx';
  pool.release(server, outcome, 1);
}

function apply(pool: Pool, step: Step): void {
  const [verb, name = ''] = step.split(' ');
  if (verb === 'eject') failOn(pool, name, 'eject');
  else if (verb === 'breaker') failOn(pool, name, 'breaker');
  else if (verb === 'down') pool.setHealth(name, false, 'test', 'active');
  else if (verb === 'disable') pool.disable(name);
  else pool.drain(name);
}

async function servedBy(pool: Pool, tries = 24): Promise<string[]> {
  const served = new Set<string>();
  for (let i = 0; i < tries; i++) {
    const acquired = await pool.acquire({ clientIp: '127.0.0.1', headers: {} }, []);
    if (!acquired.ok) continue;
    served.add(acquired.server.name);
    pool.release(acquired.server, 'aborted', 0);
  }
  return [...served].sort();
}

describe('panic threshold', () => {
  it.each(CASES)('$name', async (c) => {
    const breaker = c.steps.some((s) => s.startsWith('breaker'));
    const { pool, events } = makePool(c.servers, {
      breaker,
      ...(c.threshold === undefined ? {} : { threshold: c.threshold }),
    });
    const seen: BalancerEvent[] = [];
    events.subscribe((e) => seen.push(e));
    for (const step of c.steps) apply(pool, step);
    expect(await servedBy(pool)).toEqual(c.served);
    expect(pool.activeTier).toBe(c.tier);
    expect(pool.panicking).toBe(c.panic);
    expect(pool.snapshot().panic).toBe(c.panic);
    const panics = seen.filter((e) => e.kind === 'panic-enter');
    expect(panics).toHaveLength(c.panic ? 1 : 0);
    if (c.panic)
      expect(panics[0]).toMatchObject({ pool: 'web', tier: c.tier, thresholdPercent: c.threshold ?? 50 });
    await pool.stop();
  });

  it('leaves panic when ejections end, and says so', async () => {
    const { pool, events } = makePool(['a', 'b'], { baseEjectionTime: 50 });
    const seen: string[] = [];
    events.subscribe((e) => seen.push(e.kind));
    failOn(pool, 'a', 'eject');
    failOn(pool, 'b', 'eject');
    expect(seen).toEqual(['ejected', 'ejected', 'panic-enter']);
    await new Promise((r) => setTimeout(r, 150));
    expect(seen.slice(3)).toContain('panic-exit');
    expect(pool.panicking).toBe(false);
    expect(await servedBy(pool)).toEqual(['a', 'b']);
    await pool.stop();
  });
});
