import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackendProcess, spawnBackend } from '../../backends/spawn.ts';
import { Balancer, type BalancerEvent, normalizeConfig } from '../../balancer/index.ts';
import { FaultlineError } from '../../core/errors.ts';
import { ToxicProxyServer } from '../toxic-proxy/index.ts';
import { asBalancerEvent, type BalancerProcess, spawnBalancer } from './balancer-process.ts';
import { type ChildProcessHandle, instanceOf } from './child-process.ts';
import { LocalTargetProvider, localProcessSpec } from './local-target.ts';
import { instanceState, processStartTime, signalInstance, waitForExit } from './process-identity.ts';
import { readStackStateFile, type StackState, updateStackProcess, writeStackState } from './stack-state.ts';

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
  /**
   * Publish the stack here so `faultline chaos` in another shell can find its targets. Without
   * it the stack keeps the file in its own temporary folder: either way it records every
   * process instance, including those a revert started again, and `stop()` reads it.
   */
  stateFile?: string;
  /**
   * `process` (default): the balancer is a child process (`faultline balancer`) that faults
   * can kill, freeze and restart like the backends. `in-process`: it runs inside this process,
   * for tests that inspect its internals.
   */
  balancer?: 'process' | 'in-process';
}

/** The name of the balancer among the stack's processes (a target in process mode). */
export const BALANCER_TARGET = 'balancer';

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

type EventListener = (event: BalancerEvent) => void;

/** Balancer events kept for late subscribers (a stack publishes a few per fault). */
const MAX_HISTORY = 10_000;

/**
 * The embedded local stack: sample backends as child processes on 127.0.0.1 behind the
 * balancer (pool `web`), itself a child process unless `balancer: 'in-process'`, optionally
 * with a toxic proxy in front of each backend. Every process is a target (`targets`).
 */
export class LocalStack {
  private readonly listeners = new Set<EventListener>();
  private readonly history: BalancerEvent[] = [];
  private readonly detachers: Array<() => void> = [];
  readonly targets: LocalTargetProvider;

  private constructor(
    private readonly inProcess: Balancer | undefined,
    private readonly endpoints: { url: string; adminUrl: string },
    private readonly backendNames: string[],
    processes: ChildProcessHandle[],
    readonly proxies: ToxicProxyServer | undefined,
    private readonly proxyControl: { url: string; close(): Promise<void> } | undefined,
    private readonly workDir: string,
    private readonly stateFile: string,
  ) {
    const control = proxyControl?.url;
    this.targets = new LocalTargetProvider(processes, {
      withoutControlApi: [BALANCER_TARGET],
      stackFile: stateFile,
      ...(control
        ? { proxies: Object.fromEntries(backendNames.map((name) => [name, { controlUrl: control, name }])) }
        : {}),
      onReplace: (fresh) => {
        updateStackProcess(stateFile, fresh.name, instanceOf(fresh));
        if (fresh.name === BALANCER_TARGET) this.attachBalancer(fresh);
      },
    });
    if (inProcess) inProcess.events.subscribe((e) => this.publish(e));
    const child = processes.find((p) => p.name === BALANCER_TARGET);
    if (child) this.attachBalancer(child);
  }

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const started: ChildProcessHandle[] = [];
    let proxies: ToxicProxyServer | undefined;
    let proxyControl: { url: string; close(): Promise<void> } | undefined;
    let inProcess: Balancer | undefined;
    const workDir = mkdtempSync(join(tmpdir(), 'faultline-stack-'));
    try {
      // Every backend that did start is in `started` before a failed one is reported, so the
      // catch below stops them: none is left running (and keeping this process alive).
      const spawned = await Promise.allSettled(options.backends.map((b) => spawnBackend(b.name, b.env)));
      const backends = spawned.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      started.push(...backends);
      const failed = spawned.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const upstreamOf = new Map<string, string>();
      if (options.proxies) {
        proxies = new ToxicProxyServer();
        for (const b of backends) {
          const info = await proxies.createProxy({
            name: b.name,
            listen: '127.0.0.1:0',
            upstream: `127.0.0.1:${b.port}`,
          });
          upstreamOf.set(b.name, `http://${info.listen}`);
        }
        proxyControl = await proxies.listenControl({ host: '127.0.0.1', port: 0 });
      }
      const config = {
        listen: '127.0.0.1:0',
        admin: { listen: '127.0.0.1:0' },
        shutdownTimeout: '2s',
        ...options.config,
        pools: {
          web: {
            algorithm: 'weighted-round-robin',
            servers: options.backends.map((b) => ({
              name: b.name,
              url: upstreamOf.get(b.name) ?? (backends.find((p) => p.name === b.name) as BackendProcess).url,
              ...(b.weight ? { weight: b.weight } : {}),
              ...(b.backup ? { backup: true } : {}),
            })),
            health: DEMO_HEALTH,
            retries: 2,
            ...options.pool,
          },
        },
      };
      let endpoints: { url: string; adminUrl: string };
      if (options.balancer === 'in-process') {
        inProcess = await Balancer.start(normalizeConfig(config));
        endpoints = { url: inProcess.url, adminUrl: inProcess.adminUrl };
      } else {
        const child = await spawnBalancer(join(workDir, 'balancer.json'), config);
        started.push(child);
        endpoints = { url: child.url, adminUrl: child.adminUrl };
      }
      const names = options.backends.map((b) => b.name);
      const stateFile = options.stateFile ?? join(workDir, 'stack.json');
      const stack = new LocalStack(
        inProcess,
        endpoints,
        names,
        started,
        proxies,
        proxyControl,
        workDir,
        stateFile,
      );
      writeStackState(stateFile, stack.state());
      return stack;
    } catch (err) {
      await inProcess?.stop({ deadlineMs: 0 });
      await proxyControl?.close();
      await proxies?.close();
      await Promise.all(started.map((p) => p.kill()));
      rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
  }

  get url(): string {
    return this.endpoints.url;
  }

  get adminUrl(): string {
    return this.endpoints.adminUrl;
  }

  get proxyControlUrl(): string | undefined {
    return this.proxyControl?.url;
  }

  /** The in-process balancer; only with `balancer: 'in-process'`. */
  get balancer(): Balancer {
    if (!this.inProcess) throw new Error('the balancer runs as a child process; use its admin API');
    return this.inProcess;
  }

  /** The balancer's child process (the newest after a restart); undefined when in-process. */
  get balancerProcess(): BalancerProcess | undefined {
    if (this.inProcess) return undefined;
    return this.targets.current(BALANCER_TARGET) as BalancerProcess;
  }

  /** Sample backend names, in stack order. */
  get backends(): readonly string[] {
    return this.backendNames;
  }

  /**
   * Every balancer event from now on (with `replay`, every one since the stack started first),
   * across balancer restarts, on the wall clock. Returns the unsubscribe function.
   */
  subscribe(listener: EventListener, options: { replay?: boolean } = {}): () => void {
    if (options.replay) for (const event of this.history) listener(event);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  backend(name: string): BackendProcess {
    return this.targets.current(name);
  }

  /** Starts a fresh process for `name` (a backend or the balancer) on the port it had. */
  async restart(name: string, env: Record<string, string> = {}): Promise<ChildProcessHandle> {
    const old = this.targets.current(name);
    await old.kill();
    const fresh = await old.respawn(env);
    this.targets.replace(fresh);
    return fresh;
  }

  /** What `faultline chaos` needs to find and restart this stack's processes. */
  state(): StackState {
    const controlUrl = this.proxyControl?.url ?? null;
    const backends = this.backendNames.map((name) => {
      const b = this.backend(name);
      return {
        name,
        port: b.port,
        url: b.url,
        controlUrl: b.url,
        spec: localProcessSpec(b),
        proxy: controlUrl ? { controlUrl, name } : null,
        ...instanceOf(b),
      };
    });
    const balancer = this.balancerProcess;
    return {
      version: 1,
      startedAt: new Date().toISOString(),
      ownerPid: process.pid,
      ownerStartTime: processStartTime(process.pid) ?? '',
      balancer: { url: this.url, adminUrl: this.adminUrl },
      proxyControlUrl: controlUrl,
      processes: balancer
        ? [
            ...backends,
            {
              name: BALANCER_TARGET,
              port: balancer.port,
              url: balancer.url,
              spec: localProcessSpec(balancer),
              proxy: null,
              ...instanceOf(balancer),
            },
          ]
        : backends,
    };
  }

  /**
   * Stops every process of the stack it can, each checked against the instance recorded for
   * it (a process started again by `faultline revert`, here or in another shell, included;
   * a pid that names another process now is left alone). Never stops halfway: whatever could
   * not be stopped is named at the end in one FL_STACK_STOP_INCOMPLETE error.
   */
  async stop(): Promise<void> {
    const problems: string[] = [];
    const attempt = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
      }
    };
    const inProcess = this.inProcess;
    if (inProcess) await attempt('the balancer', () => inProcess.stop({ deadlineMs: 1000 }));
    const balancer = this.balancerProcess;
    if (balancer) {
      await attempt(BALANCER_TARGET, async () => {
        const stopped = balancer.stop();
        const inTime = await Promise.race([stopped.then(() => true), sleep(5000).then(() => false)]);
        if (!inTime) await balancer.kill();
      });
    }
    for (const detach of this.detachers.splice(0)) detach();
    await attempt('the toxic proxy control API', async () => this.proxyControl?.close());
    await attempt('the toxic proxies', async () => this.proxies?.close());
    const handles = this.backendNames.map((name) => this.backend(name));
    await Promise.all(handles.map((b) => attempt(b.name, () => b.kill())));
    await attempt(this.stateFile, () =>
      this.stopRecordedElsewhere([...handles, ...(balancer ? [balancer] : [])]),
    );
    rmSync(this.workDir, { recursive: true, force: true });
    if (problems.length > 0) {
      throw new FaultlineError(
        'FL_STACK_STOP_INCOMPLETE',
        `the local stack stopped, except:\n  ${problems.join('\n  ')}`,
      );
    }
  }

  /** Processes the stack file records that are not the handles stopped already (started by a revert). */
  private async stopRecordedElsewhere(stopped: readonly ChildProcessHandle[]): Promise<void> {
    const problems: string[] = [];
    for (const entry of readStackStateFile(this.stateFile).processes) {
      if (stopped.some((h) => h.pid === entry.pid && h.startTime === entry.startTime)) continue;
      // Gone, or its pid reused (which means it exited too): nothing of ours to stop.
      if (instanceState(entry) !== 'same') continue;
      signalInstance(entry.name, entry, 'SIGCONT', this.stateFile);
      signalInstance(entry.name, entry, 'SIGKILL', this.stateFile);
      if (!(await waitForExit(entry, 5000)))
        problems.push(`${entry.name} (pid ${entry.pid}) did not exit after SIGKILL`);
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
  }

  /**
   * Listens to a balancer process's event lines. The previous process stays attached: lines it
   * printed before it died may still be in the pipe, and they belong to the record.
   */
  private attachBalancer(child: ChildProcessHandle): void {
    // Lines printed before now (balancer-started, first health results), then live ones:
    // both calls are synchronous, so nothing falls between them.
    for (const line of child.events()) {
      const event = asBalancerEvent(line);
      if (event) this.publish(event);
    }
    this.detachers.push(
      child.onEvent((line) => {
        const event = asBalancerEvent(line);
        if (event) this.publish(event);
      }),
    );
  }

  private publish(event: BalancerEvent): void {
    this.history.push(event);
    if (this.history.length > MAX_HISTORY) this.history.shift();
    for (const listener of this.listeners) listener(event);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
