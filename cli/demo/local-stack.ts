import { type BackendProcess, backendLaunchSpec, spawnBackend } from '../../backends/spawn.ts';
import { Balancer, normalizeConfig } from '../../balancer/index.ts';
import { findListeningPid } from '../../chaos/targets/port-owner.ts';
import { waitForExit } from '../../chaos/targets/process-identity.ts';
import { type StackState, writeStackState } from '../../chaos/targets/stack-state.ts';
import { ToxicProxyServer } from '../../chaos/toxic-proxy/index.ts';

export interface LocalBackendSpec {
  name: string;
  weight?: number;
  backup?: boolean;
  env?: Record<string, string>;
}

export interface LocalStackOptions {
  backends: LocalBackendSpec[];
  /** Raw pool settings merged over the stack's defaults (health, retries, ...). */
  pool?: Record<string, unknown>;
  /** Raw top-level balancer settings (listen, timeouts, ...). */
  config?: Record<string, unknown>;
  /**
   * Put a toxic proxy between the balancer and each backend, for network faults. Through a
   * TCP proxy a dead backend looks like a connection that was accepted and then closed, not
   * refused, so a non-idempotent request in the detection window can fail where it would
   * have been retried without the proxy.
   */
  proxies?: boolean;
  /** Publish the stack here so `faultline chaos` in another shell can find its targets. */
  stateFile?: string;
}

/** Health checks quick enough that a demo or test sees failover within a second. */
export const DEMO_HEALTH = {
  type: 'http',
  path: '/health',
  interval: '200ms',
  fastInterval: '100ms',
  timeout: '150ms',
  rise: 2,
  fall: 2,
};

export const SAMPLE_STACK: LocalBackendSpec[] = [
  { name: 'app1', weight: 3 },
  { name: 'app2' },
  { name: 'app3', backup: true },
];

/**
 * The embedded local stack: sample backends as child processes on 127.0.0.1 behind an
 * in-process balancer (pool `web`), optionally each behind an in-process toxic proxy.
 */
export class LocalStack {
  private proxyControl: { url: string; close(): Promise<void> } | undefined;

  private constructor(
    readonly balancer: Balancer,
    readonly backends: Map<string, BackendProcess>,
    readonly proxies: ToxicProxyServer | undefined,
  ) {}

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const backends = new Map<string, BackendProcess>();
    let proxies: ToxicProxyServer | undefined;
    try {
      const started = await Promise.all(options.backends.map((b) => spawnBackend(b.name, b.env)));
      for (const b of started) backends.set(b.name, b);
      const upstreamOf = new Map<string, string>();
      if (options.proxies) {
        proxies = new ToxicProxyServer();
        for (const b of started) {
          const info = await proxies.createProxy({
            name: b.name,
            listen: '127.0.0.1:0',
            upstream: `127.0.0.1:${b.port}`,
          });
          upstreamOf.set(b.name, `http://${info.listen}`);
        }
      }
      const config = normalizeConfig({
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        ...options.config,
        pools: {
          web: {
            algorithm: 'weighted-round-robin',
            servers: options.backends.map((b) => ({
              name: b.name,
              url: upstreamOf.get(b.name) ?? (backends.get(b.name) as BackendProcess).url,
              ...(b.weight ? { weight: b.weight } : {}),
              ...(b.backup ? { backup: true } : {}),
            })),
            health: DEMO_HEALTH,
            retries: 2,
            ...options.pool,
          },
        },
      });
      const stack = new LocalStack(await Balancer.start(config), backends, proxies);
      if (proxies) stack.proxyControl = await proxies.listenControl({ host: '127.0.0.1', port: 0 });
      if (options.stateFile) writeStackState(options.stateFile, stack.state());
      return stack;
    } catch (err) {
      await proxies?.close();
      await Promise.all([...backends.values()].map((b) => b.kill()));
      throw err;
    }
  }

  get url(): string {
    return this.balancer.url;
  }

  get proxyControlUrl(): string | undefined {
    return this.proxyControl?.url;
  }

  backend(name: string): BackendProcess {
    const b = this.backends.get(name);
    if (!b) throw new Error(`no backend named ${name} (have ${[...this.backends.keys()].join(', ')})`);
    return b;
  }

  /** Starts a fresh process for `name` on the port it had, so the balancer finds it again. */
  async restart(name: string, env: Record<string, string> = {}): Promise<BackendProcess> {
    const old = this.backend(name);
    await old.kill();
    const fresh = await spawnBackend(name, { ...env, PORT: String(old.port) });
    this.backends.set(name, fresh);
    return fresh;
  }

  /** What `faultline chaos` needs to find and restart this stack's processes. */
  state(): StackState {
    const controlUrl = this.proxyControl?.url ?? null;
    return {
      version: 1,
      startedAt: new Date().toISOString(),
      ownerPid: process.pid,
      balancer: { url: this.url, adminUrl: this.balancer.adminUrl },
      proxyControlUrl: controlUrl,
      processes: [...this.backends.values()].map((b) => ({
        name: b.name,
        port: b.port,
        url: b.url,
        controlUrl: b.url,
        spec: { ...backendLaunchSpec(b.name, b.port, b.env), port: b.port },
        proxy: controlUrl ? { controlUrl, name: b.name } : null,
      })),
    };
  }

  async stop(): Promise<void> {
    await this.balancer.stop({ deadlineMs: 1000 });
    await this.proxyControl?.close();
    await this.proxies?.close();
    await Promise.all([...this.backends.values()].map((b) => b.kill()));
    // A backend restarted by `faultline revert` from another shell belongs to this stack too.
    for (const b of this.backends.values()) {
      const pid = findListeningPid(b.port);
      if (pid !== undefined && pid !== process.pid) {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
        await waitForExit(pid, 5000);
      }
    }
  }
}
