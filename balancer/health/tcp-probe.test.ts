import { describe, expect, it } from 'vitest';
import { closedPort, startProbeTarget } from './probe-target.fixture.ts';
import { probeTcp } from './tcp-probe.ts';

describe('probeTcp', () => {
  it('is ok when something listens', async () => {
    const target = await startProbeTarget();
    try {
      expect(await probeTcp('127.0.0.1', target.port, 500)).toMatchObject({ ok: true, reason: 'connected' });
    } finally {
      await target.close();
    }
  });

  it('is not ok when the connection is refused', async () => {
    const port = await closedPort();
    const r = await probeTcp('127.0.0.1', port, 2000);
    expect(r).toMatchObject({ ok: false, reason: 'connect ECONNREFUSED' });
    expect(r.latencyMs).toBeLessThan(500);
  });
});
