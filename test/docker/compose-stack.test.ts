/**
 * The compose stack on a real Docker engine (scripts/ensure-docker.sh provides one): container
 * faults through the Docker target, measured by the balancer's own events, and the blast radius.
 * Run by `.ci/run` after the main suite: `npx vitest run --config vitest.docker.config.ts`.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdminClient, type BalancerEvent } from '../../balancer/index.ts';
import { Ledger } from '../../chaos/ledger.ts';
import { ChaosSession } from '../../chaos/session.ts';
import { DockerTargetProvider } from '../../chaos/targets/docker-target.ts';
import { freePortOutsideEphemeral } from '../../core/net/ports.ts';
import { startLoad } from '../../drills/load/open-model.ts';
import { isFailure } from '../../drills/recording.ts';
import {
  ensureDocker,
  isRunning,
  nodeImage,
  sh,
  startOutsider,
  startTimes,
} from '../fixtures/docker-engine.ts';

const PROJECT = `faultline-test-${process.pid}`;
const OUTSIDER = `faultline-outsider-${process.pid}`;
const TOKEN = 'faultline-test-admin-token';
/** Health: interval 250ms, fall 2, timeout 250ms (compose/balancer.yaml). */
const DETECTION_BOUND_MS = 2 * 250 + 250;

const docker = new Docker();
let compose: string[];
let env: NodeJS.ProcessEnv;
let url: string;
let admin: AdminClient;
let proxyControlUrl: string;
const events: BalancerEvent[] = [];
const stopEvents = new AbortController();

/**
 * How long the stack gets to reach a state a test waits for, checked every 100 ms. A probe that
 * throws (a request refused) is turned into the value it asserts on, so a timeout still says what
 * was awaited and what was seen last.
 */
const SETTLE = { timeout: 30_000, interval: 100 };

async function servedBy(): Promise<string | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.text();
  return res.ok ? (res.headers.get('x-served-by') ?? undefined) : undefined;
}

/** Response times of those of 16 requests that `server` answered. */
async function timesServedBy(server: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 16; i++) {
    const started = performance.now();
    // POSTs: a GET held up on the server past the hedge delay would be answered by another.
    const res = await fetch(url, { method: 'POST', body: 'x' });
    await res.text();
    if (res.headers.get('x-served-by') === server) times.push(performance.now() - started);
  }
  return times;
}

const provider = () => new DockerTargetProvider(docker, PROJECT);

function session(options: { toxicProxies?: boolean } = {}): ChaosSession {
  const ledger = new Ledger(join(mkdtempSync(join(tmpdir(), 'faultline-docker-')), 'ledger.jsonl'));
  return new ChaosSession(ledger, new DockerTargetProvider(docker, PROJECT, options));
}

const eventAfter = (kind: string, server: string | undefined, since: number, timeoutMs = 10_000) =>
  vi.waitFor(
    () => {
      const found = events.find(
        (e) => e.kind === kind && e.at >= since && (!server || ('server' in e && e.server === server)),
      );
      expect(found, `${kind} ${server ?? ''}`).toBeDefined();
      return found as BalancerEvent;
    },
    { ...SETTLE, timeout: timeoutMs },
  );

beforeAll(async () => {
  compose = ensureDocker();
  const image = nodeImage();
  // Outside the ephemeral range, where Docker picks the backends' published ports.
  const [port, adminPort, proxyPort] = [
    await freePortOutsideEphemeral(),
    await freePortOutsideEphemeral(),
    await freePortOutsideEphemeral(),
  ];
  env = {
    ...process.env,
    FAULTLINE_NODE_IMAGE: image,
    FAULTLINE_PORT: String(port),
    FAULTLINE_ADMIN_PORT: String(adminPort),
    FAULTLINE_PROXY_PORT: String(proxyPort),
    FAULTLINE_ADMIN_TOKEN: TOKEN,
  };
  const [bin, ...pre] = compose as [string, ...string[]];
  sh(bin, [...pre, '-p', PROJECT, 'up', '-d', '--build'], { env });
  url = `http://127.0.0.1:${port}/`;
  proxyControlUrl = `http://127.0.0.1:${proxyPort}`;
  admin = new AdminClient(`http://127.0.0.1:${adminPort}`, { token: TOKEN });
  await vi.waitFor(
    async () => {
      expect(await servedBy().catch(String), 'the balancer to serve').toEqual(expect.stringMatching(/^app/));
    },
    { ...SETTLE, timeout: 60_000 },
  );
  void (async () => {
    for await (const e of admin.events({ signal: stopEvents.signal })) events.push(e);
  })().catch(() => {});
  // A container outside the project, opted in: it must survive everything below.
  startOutsider(OUTSIDER, 'faultline/backend:dev');
}, 600_000);

afterAll(async () => {
  stopEvents.abort();
  if (compose) {
    const [bin, ...pre] = compose as [string, ...string[]];
    sh(bin, [...pre, '-p', PROJECT, 'down', '-v', '--remove-orphans', '-t', '2'], { env });
  }
  try {
    sh('docker', ['rm', '-f', OUTSIDER]);
  } catch {
    // never started
  }
}, 120_000);

// Each test starts from the whole pool in rotation: a test must not see the tail of the one before.
beforeEach(async () => {
  await vi.waitFor(async () => {
    const notUp = await admin.pool('web').then(
      (pool) => pool.servers.filter((server) => server.state !== 'up').map((s) => `${s.name} ${s.state}`),
      (err) => [String(err)],
    );
    expect(notUp, 'every server of the pool to be up').toEqual([]);
  }, SETTLE);
}, 40_000);

describe('the compose stack on a real engine', () => {
  it('serves through the balancer from the weighted primaries; only opted-in containers are targets', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add((await servedBy()) ?? 'error');
    expect([...seen].sort()).toEqual(['app1', 'app2']);
    expect(await new DockerTargetProvider(docker, PROJECT).names()).toEqual([
      'app1',
      'app2',
      'app3',
      'balancer',
    ]);
  });

  it('primary container killed under load: zero failed requests; started again it serves', async () => {
    const chaos = session();
    const load = startLoad({ url: url.slice(0, -1), rate: 100, maxDurationMs: 4000 });
    await new Promise((r) => setTimeout(r, 1000));
    const at = Date.now();
    await chaos.inject(await chaos.prepare('kill', 'app1', {}));
    const records = await load.done;
    const failed = records.filter(isFailure).map((r) => `${r.status} ${r.error}`);
    expect(
      failed,
      JSON.stringify(
        events
          .filter((e) => e.at >= at)
          .map(
            (e) =>
              `${e.kind} ${'server' in e ? e.server : ''} ${Math.round(e.at - at)} ${'reason' in e ? e.reason : ''}`,
          ),
      ),
    ).toEqual([]);
    expect(await eventAfter('server-down', 'app1', at)).toBeDefined();
    await chaos.revertAll();
    await eventAfter('server-up', 'app1', at, 30_000);
    await vi.waitFor(async () => {
      expect(await servedBy().catch(String), 'app1 to serve again').toBe('app1');
    }, SETTLE);
  });

  it('paused container: the balancer takes it out within its health bound; unpaused it returns', async () => {
    const chaos = session();
    const at = Date.now();
    await chaos.inject(await chaos.prepare('pause', 'app2', {}));
    const down = await eventAfter('server-down', 'app2', at);
    expect(down.at - at).toBeLessThan(DETECTION_BOUND_MS + 1000);
    await chaos.revertAll();
    await eventAfter('server-up', 'app2', down.at, 15_000);
  });

  it('all primaries stopped: the standby app3 serves; started again, traffic fails back', async () => {
    const chaos = session();
    const at = Date.now();
    await Promise.all(['app1', 'app2'].map(async (s) => chaos.inject(await chaos.prepare('stop', s, {}))));
    await eventAfter('failover-to-backup', undefined, at, 20_000);
    await vi.waitFor(async () => {
      expect(await servedBy().catch(String), 'app3 to serve').toBe('app3');
    }, SETTLE);
    await chaos.revertAll();
    await eventAfter('failback', undefined, at, 30_000);
    await vi.waitFor(async () => {
      expect(await servedBy().catch(String), 'failback').toEqual(expect.stringMatching(/^app[12]$/));
    }, SETTLE);
  }, 60_000);

  it('network disconnect: detected, and reconnected it returns', async () => {
    const chaos = session();
    const at = Date.now();
    await chaos.inject(await chaos.prepare('partition', 'app2', {}));
    await eventAfter('server-down', 'app2', at).catch((err) => {
      throw new Error(
        `${err.message}; events: ${JSON.stringify(events.filter((e) => e.at >= at - 2000).map((e) => `${e.kind} ${'server' in e ? e.server : ''} ${Math.round(e.at - at)}`))}`,
      );
    });
    await chaos.revertAll();
    await eventAfter('server-up', 'app2', at, 20_000);
  }, 40_000);

  it('http and network faults find their way by label: knobs on the published port, toxics on the proxy service', async () => {
    const target = await new DockerTargetProvider(docker, PROJECT).resolve('app2');
    expect(target.controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(target.proxy).toEqual({ controlUrl: proxyControlUrl, name: 'app2' });
    const chaos = session();
    await chaos.inject(await chaos.prepare('http_error', 'app2', { rate: 1, status: 503 }));
    expect((await fetch(`${target.controlUrl}/`)).status).toBe(503);
    await chaos.revertAll();
    expect((await fetch(`${target.controlUrl}/`)).status).toBe(200);

    await chaos.inject(await chaos.prepare('latency', 'app2', { latency: '150ms' }));
    const viaApp2 = await timesServedBy('app2');
    await chaos.revertAll();
    expect(viaApp2.length).toBeGreaterThan(0);
    expect(Math.min(...viaApp2)).toBeGreaterThanOrEqual(140);
    expect(await (await fetch(`${proxyControlUrl}/proxies/app2/toxics`)).json()).toEqual([]);

    // Knobs set, then the container killed and started again (maybe on another host port):
    // the knob revert asks the engine instead of failing on the old port. The process is new,
    // its knobs at their defaults: nothing to do.
    await chaos.inject(await chaos.prepare('http_error', 'app2', { rate: 1, status: 503 }));
    await chaos.inject(await chaos.prepare('kill', 'app2', {}));
    const reverted = await chaos.revertAll();
    expect(reverted.failed).toEqual([]);
    expect(reverted.results.map((r) => r.outcome)).toEqual(['reverted', 'nothing-to-do']);
    // Knobs set on a container that stays up, behind a moved port: put back where it is now.
    const moved = await vi.waitFor(async () => {
      const ok = await provider()
        .resolve('app2')
        .then((target) => fetch(`${target.controlUrl}/`))
        .then((res) => res.ok, String);
      expect(ok, 'app2 to answer on its new port').toBe(true);
      return ok;
    }, SETTLE);
    expect(moved).toBe(true);
    await chaos.inject(await chaos.prepare('http_error', 'app2', { rate: 1, status: 503 }));
    const again = await chaos.revertAll();
    expect(again.results.map((r) => r.outcome)).toEqual(['reverted']);
    expect((await fetch(`${(await provider().resolve('app2')).controlUrl}/`)).status).toBe(200);

    // A drill that talks to the containers directly has no proxy to put a toxic on: refused.
    const direct = session({ toxicProxies: false });
    await expect(direct.prepare('latency', 'app2', { latency: '150ms' })).rejects.toThrow(/no toxic proxy/);
  });

  it("the toxic proxy service answers Toxiproxy's own client from the host", async () => {
    const toxiproxy = new Toxiproxy(proxyControlUrl);
    expect(await toxiproxy.getVersion()).toBe('{"version": "2.12.0+faultline"}\n');
    const all = await toxiproxy.getAll();
    expect(Object.keys(all).sort()).toEqual(['app1', 'app2', 'app3']);
    const app2 = all.app2 as NonNullable<typeof all.app2>;
    expect(app2.toJson()).toEqual({
      name: 'app2',
      listen: '0.0.0.0:21002',
      upstream: 'app2:8080',
      enabled: true,
    });
    // A test suite's start-up populate: what exists is kept, a loopback proxy to a known upstream is added.
    const populated = await toxiproxy.populate([
      app2.toJson(),
      { name: 'extra', listen: '127.0.0.1:0', upstream: 'app3:8080' },
    ]);
    expect(populated.extra?.upstream).toBe('app3:8080');
    const refused = await toxiproxy
      .createProxy({ name: 'far', listen: '127.0.0.1:0', upstream: '10.0.0.1:80' })
      .catch((err: Error) => err.message);
    expect(refused).toBe('Request failed with status code 403');
    const toxic = await app2.addToxic({ type: 'latency', attributes: { latency: 200 } } as never);
    const viaApp2 = await timesServedBy('app2');
    expect(viaApp2.length).toBeGreaterThan(0);
    expect(Math.min(...viaApp2)).toBeGreaterThanOrEqual(190);
    expect((await toxic.update({ attributes: { latency: 50 } } as never)).attributes).toEqual({
      latency: 50,
      jitter: 0,
    });
    // Disabled through the client, the balancer sees app2 go; reset brings it back.
    const at = Date.now();
    expect((await app2.update({ ...app2.toJson(), enabled: false })).enabled).toBe(false);
    await eventAfter('server-down', 'app2', at);
    await toxiproxy.reset();
    await eventAfter('server-up', 'app2', at, 20_000);
    expect(await app2.getToxic('latency_downstream').catch((err: Error) => err.message)).toBe(
      'Request failed with status code 404',
    );
    await populated.extra?.remove();
    expect(Object.keys(await toxiproxy.getAll()).sort()).toEqual(['app1', 'app2', 'app3']);
  }, 60_000);

  it('blast radius: killing every target spares the unlabelled service and the outsider', async () => {
    const chaos = session();
    const provider = new DockerTargetProvider(docker, PROJECT);
    const names = await provider.names();
    for (const name of names) await chaos.inject(await chaos.prepare('kill', name, {}));
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${PROJECT}`] },
    });
    const state = Object.fromEntries(
      containers.map((c) => [c.Labels['com.docker.compose.service'], c.State]),
    );
    expect(state).toMatchObject({
      app1: 'exited',
      app2: 'exited',
      app3: 'exited',
      balancer: 'exited',
      toxiproxy: 'running',
    });
    expect(await isRunning(docker, OUTSIDER)).toBe(true);
    await expect(chaos.prepare('kill', 'toxiproxy', {})).rejects.toMatchObject({
      code: 'FL_TARGET_NOT_OPTED_IN',
    });
    await chaos.revertAll();
    await vi.waitFor(
      async () => {
        expect(await servedBy().catch(String), 'the stack to serve again').toEqual(
          expect.stringMatching(/^app/),
        );
      },
      { ...SETTLE, timeout: 60_000 },
    );
  }, 120_000);

  it('faultline drill --target compose: a drill that kills every target touches nothing else', async () => {
    const project = `faultline-test-cli-${process.pid}`;
    const reports = mkdtempSync(join(tmpdir(), 'faultline-docker-reports-'));
    const before = {
      own: await startTimes(docker, PROJECT),
      outsider: await startTimes(docker, 'someone-else'),
    };
    let status = 0;
    let output = '';
    try {
      output = sh(
        process.execPath,
        [
          'bin/faultline.js',
          'drill',
          '--target',
          'compose',
          '--project',
          project,
          '--keep',
          '--no-progress',
          '--report-dir',
          reports,
          'test/docker/drills/kill-every-target.drill.ts',
        ],
        { env: { ...process.env, FAULTLINE_NODE_IMAGE: env.FAULTLINE_NODE_IMAGE } },
      );
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      status = e.status;
      output = `${e.stdout}\n${e.stderr}`;
    }
    try {
      // The balancer died mid-drill, so the steady state after may be breached (3), never an error.
      expect([0, 3], output).toContain(status);
      const [runDir] = readdirSync(reports, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name);
      const journal = JSON.parse(readFileSync(join(reports, runDir as string, 'journal.json'), 'utf8'));
      const massacre = journal.actions.find((a: { name: string }) => a.name === 'massacre');
      expect(massacre, output).toMatchObject({
        status: 'ok',
        targets: ['app1', 'app2', 'app3', 'balancer'],
      });
      // Every target was killed, and started again by the revert; the unlabelled service never.
      const after = await startTimes(docker, project);
      const startedAt = (service: string) => Date.parse(after[service] as string);
      for (const target of ['app1', 'app2', 'app3', 'balancer'])
        expect(startedAt(target), target).toBeGreaterThan(massacre.startedAt);
      expect(startedAt('toxiproxy')).toBeLessThan(massacre.startedAt);
      // Opted-in containers of other projects: untouched.
      expect(await startTimes(docker, PROJECT)).toEqual(before.own);
      expect(await startTimes(docker, 'someone-else')).toEqual(before.outsider);
      expect(await isRunning(docker, OUTSIDER)).toBe(true);
    } finally {
      const [bin, ...pre] = compose as [string, ...string[]];
      sh(bin, [...pre, '-p', project, 'down', '-v', '--remove-orphans', '-t', '1'], { env });
    }
  }, 180_000);
});
