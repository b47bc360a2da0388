import { describe, expect, it } from 'vitest';
import { type BreakerTransition, CircuitBreaker } from './circuit-breaker.ts';
import { OutlierDetector } from './outlier-detector.ts';
import { RetryBudget } from './retry-budget.ts';

describe('CircuitBreaker', () => {
  const config = { enabled: true, failureRatio: 0.5, minRequests: 10, window: 10_000, cooldown: 1000 };

  it('opens on the failure ratio, lets one trial through after the cooldown, closes on success', () => {
    let t = 0;
    const transitions: BreakerTransition[] = [];
    const breaker = new CircuitBreaker(
      config,
      (x) => transitions.push(x),
      () => t,
    );
    for (let i = 0; i < 5; i++) breaker.record(true);
    for (let i = 0; i < 4; i++) breaker.record(false);
    expect(breaker.current).toBe('closed'); // 9 requests: below minRequests
    breaker.record(false); // 5/10 failed
    expect(breaker.current).toBe('open');
    expect(breaker.allows()).toBe(false);
    expect(transitions[0]?.reason).toContain('5/10');
    t = 999;
    expect(breaker.allows()).toBe(false);
    t = 1000;
    expect(breaker.current).toBe('half-open');
    expect(breaker.allows()).toBe(true);
    breaker.acquire();
    expect(breaker.allows()).toBe(false); // one trial at a time
    breaker.record(true);
    expect(breaker.current).toBe('closed');
    expect(transitions.map((x) => x.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens when the trial fails', () => {
    let t = 0;
    const breaker = new CircuitBreaker(
      config,
      () => {},
      () => t,
    );
    for (let i = 0; i < 10; i++) breaker.record(false);
    t = 1000;
    breaker.acquire();
    breaker.record(false);
    expect(breaker.current).toBe('open');
  });

  it('forgets failures older than the window', () => {
    let t = 0;
    const breaker = new CircuitBreaker(
      config,
      () => {},
      () => t,
    );
    for (let i = 0; i < 9; i++) breaker.record(false);
    t = 20_000;
    breaker.record(false);
    expect(breaker.current).toBe('closed');
  });

  it('does nothing when disabled', () => {
    const breaker = new CircuitBreaker({ ...config, enabled: false }, () => {});
    for (let i = 0; i < 50; i++) breaker.record(false);
    expect(breaker.current).toBe('closed');
  });
});

describe('OutlierDetector', () => {
  const config = {
    consecutive5xx: 3,
    consecutiveGatewayFailures: 2,
    baseEjectionTime: 1000,
    maxEjectionTime: 2500,
    maxEjectionPercent: 50,
  };

  it('asks for ejection on consecutive 5xx and consecutive gateway failures, not interleaved successes', () => {
    const d = new OutlierDetector(config);
    expect(d.record('http-5xx')).toBeUndefined();
    expect(d.record('http-5xx')).toBeUndefined();
    expect(d.record('success')).toBeUndefined();
    expect(d.record('http-5xx')).toBeUndefined();
    expect(d.record('http-5xx')).toBeUndefined();
    expect(d.record('http-5xx')).toMatch(/3 consecutive 5xx/);
    expect(d.record('gateway-failure')).toBeUndefined();
    expect(d.record('gateway-failure')).toMatch(/2 consecutive gateway/);
  });

  it('ejects longer each time, capped', () => {
    const d = new OutlierDetector(config);
    expect([d.ejected(), d.ejected(), d.ejected()]).toEqual([1000, 2000, 2500]);
    d.forgive();
    expect(d.ejected()).toBe(1000);
  });
});

describe('RetryBudget', () => {
  it('allows the floor when idle and a share of traffic when busy, over a 10s window', () => {
    let t = 0;
    const budget = new RetryBudget({ retries: 2, budgetPercent: 20, minRetriesPerSecond: 1 }, () => t);
    let granted = 0;
    for (let i = 0; i < 50; i++) if (budget.tryWithdraw()) granted++;
    expect(granted).toBe(10); // 1/s × 10s
    for (let i = 0; i < 100; i++) budget.recordRequest();
    granted = 0;
    for (let i = 0; i < 50; i++) if (budget.tryWithdraw()) granted++;
    expect(granted).toBe(20); // 20% of 100
    t = 11_000;
    granted = 0;
    for (let i = 0; i < 50; i++) if (budget.tryWithdraw()) granted++;
    expect(granted).toBe(10);
  });
});
