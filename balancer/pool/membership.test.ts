import { describe, expect, it } from 'vitest';
import { poolConfig } from '../admin/admin.fixture.ts';
import { EventBus } from '../events.ts';
import { planMembership } from './membership.ts';
import { Pool } from './pool.ts';

describe('planMembership (what a reload keeps, by name and URL)', () => {
  const pool = (urls: string[], mode: 'http' | 'tcp') => {
    const config = poolConfig(
      'p',
      urls.map((_, i) => ({ name: `s${i}` })),
    );
    return new Pool(
      { ...config, mode, servers: config.servers.map((s, i) => ({ ...s, url: urls[i] as string })) },
      new EventBus(),
    );
  };

  it('keeps a server whose URL stays; one whose URL changed is removed (the new URL is a new server)', () => {
    const current = pool(['http://127.0.0.1:3001', 'http://127.0.0.1:3002'], 'http').servers;
    const plan = planMembership(current, [
      { name: 's0', url: 'http://127.0.0.1:3001', weight: 1, backup: false, maxConnections: 0 },
      { name: 's1', url: 'http://127.0.0.1:3999', weight: 1, backup: false, maxConnections: 0 },
    ]);
    expect([...plan.kept.keys()]).toEqual(['s0']);
    expect(plan.removed.map((s) => s.name)).toEqual(['s1']);
  });

  it('tells tcp:// URLs apart too (they have no origin)', () => {
    const current = pool(['tcp://127.0.0.1:5432', 'tcp://127.0.0.1:5433'], 'tcp').servers;
    const plan = planMembership(current, [
      { name: 's0', url: 'tcp://127.0.0.1:5432', weight: 1, backup: false, maxConnections: 0 },
      { name: 's1', url: 'tcp://127.0.0.1:6000', weight: 1, backup: false, maxConnections: 0 },
    ]);
    expect([...plan.kept.keys()]).toEqual(['s0']);
    expect(plan.removed.map((s) => s.name)).toEqual(['s1']);
  });
});
