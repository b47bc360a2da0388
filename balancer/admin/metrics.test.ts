import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../events.ts';
import { Pool } from '../pool/pool.ts';
import { type AdminStack, poolConfig, startAdminStack } from './admin.fixture.ts';
import { BalancerMetrics, statusClass } from './metrics.ts';

describe('BalancerMetrics', () => {
  let stack: AdminStack;
  beforeEach(async () => {
    stack = await startAdminStack();
  });
  afterEach(() => stack.close());

  it('exposes request, retry and proxy error counters with bounded labels', async () => {
    const m = stack.metrics;
    m.observeRequest('web', 'app1', 200, 12);
    m.observeRequest('web', 'app1', 204, 3);
    m.observeRequest('web', 'app2', 503, 40);
    m.observeRequest('web', undefined, 503, 1);
    m.countRetry('web', 'app2');
    m.countProxyError('web', 'no_healthy_server');
    const text = await stack.client.metrics();
    expect(text).toContain('faultline_requests_total{pool="web",server="app1",code="2xx"} 2');
    expect(text).toContain('faultline_requests_total{pool="web",server="app2",code="5xx"} 1');
    expect(text).toContain('faultline_requests_total{pool="web",server="none",code="5xx"} 1');
    expect(text).toContain('faultline_request_duration_seconds_bucket{le="0.005",pool="web"} 2');
    expect(text).toContain('faultline_request_duration_seconds_count{pool="web"} 4');
    expect(text).toContain('faultline_retries_total{pool="web",server="app2"} 1');
    expect(text).toContain('faultline_proxy_errors_total{pool="web",code="no_healthy_server"} 1');
  });

  it('reads server and pool state from the pools when scraped', async () => {
    let text = await stack.client.metrics();
    expect(text).toContain('faultline_server_up{pool="web",server="app1",backup="false"} 1');
    expect(text).toContain('faultline_server_up{pool="web",server="app3",backup="true"} 1');
    expect(text).toContain('faultline_server_weight{pool="web",server="app1"} 3');
    expect(text).toContain('faultline_server_inflight{pool="api",server="api1"} 0');
    expect(text).toContain('faultline_server_ejected{pool="web",server="app1"} 0');
    expect(text).toContain('faultline_server_breaker_open{pool="web",server="app1"} 0');
    expect(text).toContain('faultline_pool_queue_length{pool="web"} 0');
    expect(text).toContain('faultline_pool_active_tier{pool="web",tier="primary"} 1');
    expect(text).toContain('faultline_pool_panic{pool="web"} 0');

    await stack.client.disable('web', 'app1');
    await stack.client.disable('web', 'app2');
    await stack.client.setWeight('web', 'app3', 9);
    text = await stack.client.metrics();
    expect(text).toContain('faultline_server_up{pool="web",server="app1",backup="false"} 0');
    expect(text).toContain('faultline_server_disabled{pool="web",server="app1"} 1');
    expect(text).toContain('faultline_server_weight{pool="web",server="app3"} 9');
    expect(text).toContain('faultline_pool_active_tier{pool="web",tier="primary"} 0');
    expect(text).toContain('faultline_pool_active_tier{pool="web",tier="backup"} 1');
    expect(text).toContain('faultline_events_total{kind="server-disabled"} 2');
    expect(text).toContain('faultline_events_total{kind="failover-to-backup"} 1');
  });

  it('serves the Prometheus content type', async () => {
    const res = await fetch(`${stack.url}/metrics`);
    expect(res.headers.get('content-type')).toBe(stack.metrics.contentType);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('keeps a registry per instance, so balancers in one process do not collide', async () => {
    const bus = new EventBus();
    const pool = new Pool(poolConfig('other', [{ name: 'x1' }]), bus);
    const a = new BalancerMetrics(() => [pool]);
    const b = new BalancerMetrics(() => []);
    const detach = a.attach(bus);
    a.observeRequest('other', 'x1', 200, 1);
    pool.disable('x1');
    detach();
    pool.enable('x1');
    const text = await a.text();
    expect(text).toContain('faultline_requests_total{pool="other",server="x1",code="2xx"} 1');
    expect(text).toContain('faultline_events_total{kind="server-disabled"} 1');
    expect(text).not.toContain('server-enabled');
    expect(await b.text()).not.toContain('pool="other"');
    await pool.stop();
  });

  it('maps statuses to classes', () => {
    expect([100, 200, 302, 404, 499, 500, 504, 0, 700].map(statusClass)).toEqual([
      '1xx',
      '2xx',
      '3xx',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
      '1xx',
      '5xx',
    ]);
  });
});
