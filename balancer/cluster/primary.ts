import cluster, { type Worker } from 'node:cluster';
import { join } from 'node:path';
import { freshBuild, PACKAGE_ROOT } from '../../core/build-state.js';
import { FaultlineError } from '../../core/errors.ts';
import type { WorkerMetrics } from '../admin/metrics.ts';
import type { BalancerConfig, ListenAddress } from '../config/index.ts';
import type { BalancerEventKind } from '../events.ts';
import { controlStateOf } from '../pool/control-state.ts';
import { Balancer, type StopOptions } from '../server.ts';
import { isMessage, type ToPrimary, type ToWorker } from './messages.ts';

/** The primary's decisions: after each, every worker gets the servers' state. */
const CONTROL_KINDS: ReadonlySet<BalancerEventKind> = new Set([
  'server-up',
  'server-down',
  'server-draining',
  'server-enabled',
  'server-disabled',
  'weight-changed',
]);

/** A worker that dies this soon after it started is restarted with a growing delay. */
const STABLE_AFTER_MS = 10_000;
const RESTART_DELAY_MS = { first: 500, max: 30_000 };
/** After the stop deadline, workers still running get this long before SIGKILL. */
const STOP_GRACE_MS = 3000;
/** A worker that does not answer a metrics scrape within this is left out of that scrape. */
const METRICS_TIMEOUT_MS = 2000;

/** The config file and the text the workers run; `adjust`: the command line's overrides. */
export interface ClusterSource {
  file: string;
  text: string;
  adjust?: (config: BalancerConfig) => BalancerConfig;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  startedAt: number;
  restartDelayMs: number;
}

/** The program each worker runs: the built bundle while it is fresh, else the TypeScript through tsx. */
function workerProgram(): { exec: string; execArgv: string[] } {
  const built = freshBuild('balancer-worker');
  if (built) return { exec: built, execArgv: [] };
  return {
    exec: join(PACKAGE_ROOT, 'balancer', 'cluster', 'worker-main.ts'),
    execArgv: ['--import', 'tsx'],
  };
}

/**
 * `workers: N` (like nginx's worker_processes): N worker processes share the traffic listener
 * (node:cluster) and each runs the request path with its own passive checks; this primary runs
 * the admin API and the active health checks, sends every worker the servers' state when it
 * starts and at each change, publishes their passive-check events tagged with `worker`, adds up
 * their metrics, restarts a worker that dies and stops them all gracefully.
 */
export class BalancerCluster {
  private control!: Balancer;
  private readonly slots: Slot[] = [];
  private stopping: Promise<void> | undefined;
  private metricsId = 0;
  private readonly metricsWaiting = new Map<number, (metrics: WorkerMetrics) => void>();

  private constructor(
    readonly config: BalancerConfig,
    private source: ClusterSource,
  ) {}

  static async start(config: BalancerConfig, source: ClusterSource): Promise<BalancerCluster> {
    const self = new BalancerCluster(config, source);
    cluster.setupPrimary({ ...workerProgram(), args: [] });
    for (let i = 1; i <= config.workers; i++) {
      self.slots.push({ index: i, worker: undefined, startedAt: 0, restartDelayMs: RESTART_DELAY_MS.first });
    }
    let listeners: Record<string, ListenAddress>;
    try {
      const addresses = await Promise.all(self.slots.map((slot) => self.fork(slot)));
      listeners = addresses[0] as Record<string, ListenAddress>;
      self.control = await Balancer.start(config, {
        role: 'control',
        trafficAddresses: listeners,
        source: { file: source.file, ...(source.adjust ? { adjust: source.adjust } : {}) },
        reload: () => self.reloadFile(),
      });
    } catch (err) {
      self.stopping = Promise.resolve();
      await self.stopWorkers(0);
      throw err;
    }
    self.control.metrics.aggregateWorkers(() => self.workerMetrics());
    self.control.events.subscribe((event) => {
      if (event.worker === undefined && CONTROL_KINDS.has(event.kind)) {
        self.broadcast({ t: 'state', state: controlStateOf(self.control.pools.values()) });
      }
    });
    return self;
  }

  get events(): Balancer['events'] {
    return this.control.events;
  }

  get requestErrors(): Balancer['requestErrors'] {
    return this.control.requestErrors;
  }

  get url(): string {
    return this.control.url;
  }

  listenerUrls(): ReturnType<Balancer['listenerUrls']> {
    return this.control.listenerUrls();
  }

  get adminUrl(): string {
    return this.control.adminUrl;
  }

  /**
   * Reads the config file again: the primary checks and applies it (a refused or broken config
   * changes nothing, anywhere), then every worker takes on the same text, and a worker started
   * later gets it too.
   */
  async reloadFile(): Promise<string[]> {
    const { changes, text } = await this.control.reloadSource();
    this.source = { ...this.source, text };
    this.broadcast({ t: 'reload', configText: text, configFile: this.source.file });
    this.broadcast({ t: 'state', state: controlStateOf(this.control.pools.values()) });
    return changes;
  }

  /** Tells every worker to drain (the config's shutdownTimeout, or `deadlineMs`), then stops the primary. */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= (async () => {
      const deadlineMs = options.deadlineMs ?? this.config.shutdownTimeout;
      await Promise.all([this.stopWorkers(deadlineMs), this.control.stop({ deadlineMs })]);
    })();
    return this.stopping;
  }

  /** Starts the slot's worker; resolves with its listeners' addresses once it serves traffic. */
  private fork(slot: Slot): Promise<Record<string, ListenAddress>> {
    const worker = cluster.fork({ FAULTLINE_WORKER: String(slot.index) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: unknown) => {
        if (!isMessage<ToPrimary>(message)) return;
        switch (message.t) {
          case 'hello': {
            const state = this.control ? controlStateOf(this.control.pools.values()) : {};
            const { text, file } = this.source;
            this.send(worker, { t: 'start', configText: text, configFile: file, state });
            return;
          }
          case 'ready':
            ready = true;
            resolve(message.listeners);
            return;
          case 'failed':
            reject(
              new FaultlineError(
                message.code ?? 'FL_PROCESS_START_FAILED',
                `balancer worker ${slot.index}: ${message.message}`,
              ),
            );
            return;
          case 'event':
            this.control?.events.publish(message.body, slot.index);
            return;
          case 'reload-failed':
            this.control?.events.publish(
              { kind: 'config-reload-failed', source: this.source.file, reason: message.message },
              slot.index,
            );
            return;
          case 'request-error':
            this.control?.requestErrors.publish({ ...message.entry, worker: slot.index });
            return;
          case 'metrics':
            this.metricsWaiting.get(message.id)?.(message.metrics);
            return;
        }
      });
      worker.on('exit', (code, signal) => {
        if (slot.worker === worker) slot.worker = undefined;
        if (!ready) {
          reject(
            new FaultlineError(
              'FL_PROCESS_START_FAILED',
              `balancer worker ${slot.index} exited while starting (${signal ?? `code ${code}`})`,
            ),
          );
        }
        if (this.stopping || !this.control) return;
        this.restartLater(slot, worker, signal ?? `code ${code}`);
      });
    });
  }

  private restartLater(slot: Slot, worker: Worker, exit: string): void {
    const lived = Date.now() - slot.startedAt;
    const delay = lived >= STABLE_AFTER_MS ? 0 : slot.restartDelayMs;
    slot.restartDelayMs =
      lived >= STABLE_AFTER_MS ? RESTART_DELAY_MS.first : Math.min(delay * 2, RESTART_DELAY_MS.max);
    this.control.events.publish({
      kind: 'worker-exited',
      worker: slot.index,
      pid: worker.process.pid ?? 0,
      exit,
      restartInMs: delay,
    });
    setTimeout(() => {
      if (this.stopping) return;
      // A replacement that fails to start exits too, and comes back here with a longer delay.
      this.fork(slot).catch(() => {});
    }, delay).unref();
  }

  private async stopWorkers(deadlineMs: number): Promise<void> {
    const running = this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
    await Promise.all(
      running.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), deadlineMs + STOP_GRACE_MS);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            this.send(worker, { t: 'stop', deadlineMs });
          }),
      ),
    );
  }

  private broadcast(message: ToWorker): void {
    for (const slot of this.slots) if (slot.worker) this.send(slot.worker, message);
  }

  private send(worker: Worker, message: ToWorker): void {
    // A worker that just died has no channel; its replacement gets the state when it starts.
    if (worker.isConnected()) worker.send(message, undefined, () => {});
  }

  private async workerMetrics(): Promise<WorkerMetrics[]> {
    const running = this.slots.flatMap((s) => (s.worker?.isConnected() ? [s.worker] : []));
    const replies = await Promise.all(
      running.map(
        (worker) =>
          new Promise<WorkerMetrics | undefined>((resolve) => {
            const id = ++this.metricsId;
            const timer = setTimeout(() => {
              this.metricsWaiting.delete(id);
              resolve(undefined);
            }, METRICS_TIMEOUT_MS);
            this.metricsWaiting.set(id, (metrics) => {
              clearTimeout(timer);
              this.metricsWaiting.delete(id);
              resolve(metrics);
            });
            this.send(worker, { t: 'metrics', id });
          }),
      ),
    );
    return replies.filter((r): r is WorkerMetrics => r !== undefined);
  }
}
