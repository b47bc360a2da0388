import { type BackendProcess, spawnBackend } from '../../backends/spawn.ts';
import { Balancer, normalizeConfig } from '../../balancer/index.ts';

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
 * in-process balancer (pool `web`).
 */
export class LocalStack {
  private constructor(
    readonly balancer: Balancer,
    readonly backends: Map<string, BackendProcess>,
  ) {}

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const backends = new Map<string, BackendProcess>();
    try {
      const started = await Promise.all(options.backends.map((b) => spawnBackend(b.name, b.env)));
      for (const b of started) backends.set(b.name, b);
      const config = normalizeConfig({
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        ...options.config,
        pools: {
          web: {
            algorithm: 'weighted-round-robin',
            servers: options.backends.map((b) => ({
              name: b.name,
              url: (backends.get(b.name) as BackendProcess).url,
              ...(b.weight ? { weight: b.weight } : {}),
              ...(b.backup ? { backup: true } : {}),
            })),
            health: DEMO_HEALTH,
            retries: 2,
            ...options.pool,
          },
        },
      });
      return new LocalStack(await Balancer.start(config), backends);
    } catch (err) {
      await Promise.all([...backends.values()].map((b) => b.kill()));
      throw err;
    }
  }

  get url(): string {
    return this.balancer.url;
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

  async stop(): Promise<void> {
    await this.balancer.stop({ deadlineMs: 1000 });
    await Promise.all([...this.backends.values()].map((b) => b.kill()));
  }
}
