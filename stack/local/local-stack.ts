import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackendProcess, spawnBackend } from '../../backends/spawn.ts';
import { AdminClient, Balancer, type BalancerEvent, normalizeConfig } from '../../balancer/index.ts';
import { LocalTargetProvider, localProcessSpec } from '../../chaos/targets/local-target.ts';
import {
  readStackStateFile,
  type StackState,
  updateStackProcess,
  writeStackState,
} from '../../chaos/targets/stack-state.ts';
import { ToxicProxyServer } from '../../chaos/toxic-proxy/index.ts';
import { now } from '../../core/clock.ts';
import { FaultlineError } from '../../core/errors.ts';
import {
  assertProcessIdentity,
  instanceState,
  processStartTime,
  signalInstance,
  waitForExit,
} from '../../core/process/identity.ts';
import { type ChildProcessHandle, instanceOf } from '../../core/process/launcher.ts';
import { stackBalancerConfig } from '../balancer-config.ts';
import { BalancerEventFeed } from '../event-feed.ts';
import {
  BALANCER_TARGET,
  type BackendSpec,
  DEMO_HEALTH,
  type StackProtocol,
  stackUrl,
  tcpHealth,
} from '../sample.ts';
import { type BalancerProcess, spawnBalancer } from './balancer-process.ts';

export interface LocalStackOptions {
  backends: readonly BackendSpec[];
  /** Raw pool settings merged over the stack's defaults (health, retries, ...). */
  pool?: Record<string, unknown>;
  /** Raw top-level balancer settings (listen, timeouts, ...). */
  config?: Record<string, unknown>;
  /** `tcp`: the backends are line echo servers (PROTOCOL=tcp) behind a tcp listener. */
  protocol?: StackProtocol | undefined;
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

type EventListener = (event: BalancerEvent) => void;

/**
 * The embedded local stack: sample backends as child processes on 127.0.0.1 behind the
 * balancer (pool `web`), itself a child process unless `balancer: 'in-process'`, optionally
 * with a toxic proxy in front of each backend. Every process is a target (`targets`).
 */
export class LocalStack {
  readonly targets: LocalTargetProvider;
  private readonly events: BalancerEventFeed;

  private constructor(
    private readonly inProcess: Balancer | undefined,
    private readonly endpoints: { url: string; adminUrl: string },
    private readonly backendNames: string[],
    processes: ChildProcessHandle[],
    readonly proxies: ToxicProxyServer | undefined,
    private readonly proxyControl: { url: string; close(): Promise<void> } | undefined,
    private readonly workDir: string,
    private readonly stateFile: string,
    startedAt: number,
    protocol: StackProtocol | undefined,
  ) {
    const control = proxyControl?.url;
    this.targets = new LocalTargetProvider(processes, {
      // A tcp backend is a line echo server: it has no control API for HTTP faults.
      withoutControlApi: protocol === 'tcp' ? [BALANCER_TARGET, ...backendNames] : [BALANCER_TARGET],
      stackFile: stateFile,
      ...(control
        ? { proxies: Object.fromEntries(backendNames.map((name) => [name, { controlUrl: control, name }])) }
        : {}),
      // A balancer started again listens on the same admin address: the event feed follows it.
      onReplace: (fresh) => updateStackProcess(stateFile, fresh.name, instanceOf(fresh)),
    });
    this.events = new BalancerEventFeed(new AdminClient(endpoints.adminUrl), { since: startedAt });
  }

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    assertProcessIdentity('the local stack');
    const started: ChildProcessHandle[] = [];
    let proxies: ToxicProxyServer | undefined;
    let proxyControl: { url: string; close(): Promise<void> } | undefined;
    let inProcess: Balancer | undefined;
    const workDir = mkdtempSync(join(tmpdir(), 'faultline-stack-'));
    const startedAt = now();
    try {
      // Every backend that did start is in `started` before a failed one is reported, so the
      // catch below stops them: none is left running (and keeping this process alive).
      const tcp = options.protocol === 'tcp';
      const spawned = await Promise.allSettled(
        options.backends.map((b) => spawnBackend(b.name, { ...b.env, ...(tcp ? { PROTOCOL: 'tcp' } : {}) })),
      );
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
          upstreamOf.set(b.name, stackUrl(`http://${info.listen}`, options.protocol));
        }
        proxyControl = await proxies.listenControl({ host: '127.0.0.1', port: 0 });
      }
      const config = stackBalancerConfig({
        backends: options.backends,
        serverUrl: (b) => {
          const direct = (backends.find((p) => p.name === b.name) as BackendProcess).url;
          return upstreamOf.get(b.name) ?? stackUrl(direct, options.protocol);
        },
        defaults: { listen: '127.0.0.1:0', admin: { listen: '127.0.0.1:0' } },
        poolDefaults: { health: tcp ? tcpHealth(DEMO_HEALTH) : DEMO_HEALTH },
        settings: options.config,
        pool: options.pool,
        protocol: options.protocol,
      });
      let endpoints: { url: string; adminUrl: string };
      if (options.balancer === 'in-process') {
        inProcess = await Balancer.start(normalizeConfig(config));
        const first = inProcess.listenerUrls()[0]?.url ?? inProcess.url;
        endpoints = { url: first, adminUrl: inProcess.adminUrl };
      } else {
        const child = await spawnBalancer(join(workDir, 'balancer.json'), config);
        started.push(child);
        endpoints = { url: stackUrl(child.url, options.protocol), adminUrl: child.adminUrl };
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
        startedAt,
        options.protocol,
      );
      writeStackState(stateFile, stack.state());
      await stack.events.connected;
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

  /** The file this stack records its process instances in (`faultline stack --stack`). */
  get stackFile(): string {
    return this.stateFile;
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
    return this.events.subscribe(listener, options);
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
    this.events.close();
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
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
