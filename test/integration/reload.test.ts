import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Balancer, BalancerEvent } from '../../balancer/index.ts';
import { startBalancerFromFile } from '../fixtures/balancer-file.ts';
import { closeInProcessBackends, request, startInProcessBackend } from '../fixtures/http.ts';
import { countBy, failures, runLoad } from '../fixtures/load.ts';

let balancer: Balancer | undefined;
afterEach(async () => {
  await balancer?.stop({ deadlineMs: 500 });
  balancer = undefined;
  await closeInProcessBackends();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function configText(servers: { name: string; url: string; weight?: number }[], extra = ''): string {
  const list = servers
    .map((s) => `      - { name: ${s.name}, url: "${s.url}"${s.weight ? `, weight: ${s.weight}` : ''} }`)
    .join('\n');
  return `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
shutdownTimeout: 3s
pools:
  web:
    algorithm: round-robin
    health: { type: http, path: /health, interval: 500ms, timeout: 400ms, rise: 1, fall: 2 }
    servers:
${list}
${extra}`;
}

async function startFromFile(text: string): Promise<{ file: string; events: BalancerEvent[] }> {
  const started = await startBalancerFromFile(await mkdtemp(join(tmpdir(), 'faultline-reload-')), text);
  balancer = started.balancer;
  return started;
}

describe('hot reload of the config file', () => {
  it('under load, a server removed and one added: zero failed requests; the removed one drains first', async () => {
    // app1 answers slowly, so requests are in flight on it when the reload removes it.
    const app1 = await startInProcessBackend('app1', { latencyMs: 150 });
    const app2 = await startInProcessBackend('app2');
    const app3 = await startInProcessBackend('app3');
    const { file, events } = await startFromFile(
      configText([
        { name: 'app1', url: app1.url },
        { name: 'app2', url: app2.url },
      ]),
    );
    const b = balancer as Balancer;
    let reloadedAt = 0;
    const results = await runLoad({
      url: b.url,
      rate: 150,
      durationMs: 2500,
      // Three kinds against two servers in turn: POSTs reach both (a POST cannot be retried once sent).
      requests: [
        { path: '/' },
        { method: 'POST', path: '/orders', body: '{"item":"x"}' },
        { method: 'POST', path: '/orders', body: '{"item":"y"}' },
      ],
      after: {
        ms: 1000,
        run: (elapsed) => {
          reloadedAt = elapsed();
          void writeFile(
            file,
            configText([
              { name: 'app2', url: app2.url, weight: 2 },
              { name: 'app3', url: app3.url },
            ]),
          ).then(() => b.reloadFile());
        },
      },
    });
    expect(failures(results), JSON.stringify(failures(results).slice(0, 3))).toEqual([]);
    const kinds = events.map((e) => `${e.kind}${'server' in e ? ` ${e.server}` : ''}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'server-draining app1',
        'server-drained app1',
        'server-removed app1',
        'server-added app3',
      ]),
    );
    expect(kinds.indexOf('server-draining app1')).toBeLessThan(kinds.indexOf('server-removed app1'));
    const removed = events.find((e) => e.kind === 'server-removed');
    expect(removed).toMatchObject({ forced: false });
    const reloaded = events.find((e) => e.kind === 'config-reloaded');
    expect(reloaded).toMatchObject({ source: file });
    expect(reloaded && 'changes' in reloaded ? reloaded.changes : []).toEqual(
      expect.arrayContaining(['web/app1 removed', 'web/app3 added']),
    );
    // Before: app1 and app2. After the reload (and the slowest request sent before it): app2 and app3.
    const before = countBy(
      results.filter((r) => r.sentAt < reloadedAt - 50),
      (r) => r.servedBy,
    );
    const after = countBy(
      results.filter((r) => r.sentAt > reloadedAt + 300),
      (r) => r.servedBy,
    );
    expect(Object.keys(before).sort()).toEqual(['app1', 'app2']);
    expect(Object.keys(after).sort()).toEqual(['app2', 'app3']);
    expect(b.pool('web').servers.map((s) => s.name)).toEqual(['app2', 'app3']);
    expect(b.pool('web').byName('app2').weight).toBe(2);
    expect(events.find((e) => e.kind === 'weight-changed')).toMatchObject({ server: 'app2', from: 1, to: 2 });
  });

  it('a broken config is refused with its message, an event says so, and traffic continues unchanged', async () => {
    const app1 = await startInProcessBackend('app1');
    const app2 = await startInProcessBackend('app2');
    const good = configText([
      { name: 'app1', url: app1.url },
      { name: 'app2', url: app2.url },
    ]);
    const { file, events } = await startFromFile(good);
    const b = balancer as Balancer;
    const load = runLoad({ url: b.url, rate: 100, durationMs: 1500 });
    await sleep(400);
    await writeFile(file, good.replace('algorithm: round-robin', 'algorithm: round-robbin'));
    await expect(b.reloadFile()).rejects.toMatchObject({
      code: 'FL_CONFIG_INVALID',
      message: expect.stringContaining('did you mean "round-robin"?'),
    });
    // A change that needs a restart is refused as a whole: the new server is not added either.
    const app3 = await startInProcessBackend('app3');
    await writeFile(
      file,
      configText([
        { name: 'app1', url: app1.url },
        { name: 'app2', url: app2.url },
        { name: 'app3', url: app3.url },
      ]).replace('listen: 127.0.0.1:0', 'listen: 127.0.0.1:1'),
    );
    await expect(b.reloadFile()).rejects.toMatchObject({
      code: 'FL_RELOAD_REFUSED',
      message: expect.stringContaining(
        'listeners cannot change on reload (http (http 127.0.0.1:0) -> http (http 127.0.0.1:1))',
      ),
    });
    const results = await load;
    expect(failures(results)).toEqual([]);
    expect(Object.keys(countBy(results, (r) => r.servedBy)).sort()).toEqual(['app1', 'app2']);
    const failed = events.filter((e) => e.kind === 'config-reload-failed');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ source: file, reason: expect.stringContaining('algorithm') });
    expect(events.some((e) => e.kind === 'config-reloaded' || e.kind === 'server-added')).toBe(false);
    expect(b.config.pools.web?.servers.map((s) => s.name)).toEqual(['app1', 'app2']);
  });

  it('the admin API reloads too (POST /reload): pools and routes change; a broken file answers 422', async () => {
    const app1 = await startInProcessBackend('app1');
    const app2 = await startInProcessBackend('app2');
    const { file } = await startFromFile(configText([{ name: 'app1', url: app1.url }]));
    const b = balancer as Balancer;
    const twoPools = `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
pools:
  web:
    servers: [{ name: app1, url: "${app1.url}" }]
  api:
    servers: [{ name: app2, url: "${app2.url}" }]
routes:
  - { path: /, pool: web }
  - { path: /api, pool: api }
`;
    await writeFile(file, twoPools);
    const reload = await request(`${b.adminUrl}/reload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(reload.status, reload.body).toBe(200);
    expect(reload.json().changes).toEqual(expect.arrayContaining(['pool api added', 'routes changed']));
    expect((await request(`${b.url}/api/orders`)).headers['x-served-by']).toBe('app2');
    expect((await request(`${b.url}/`)).headers['x-served-by']).toBe('app1');

    await writeFile(file, 'pools: {}\n');
    const refused = await request(`${b.adminUrl}/reload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(422);
    expect(refused.json<{ error: { code: string; message: string } }>().error).toMatchObject({
      code: 'reload_refused',
      message: expect.stringContaining('pools: needs at least one pool'),
    });
    expect((await request(`${b.url}/api/orders`)).headers['x-served-by']).toBe('app2');
  });
});
