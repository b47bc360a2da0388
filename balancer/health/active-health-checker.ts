import { now } from '../../core/clock.ts';
import type { HealthConfig } from '../config/types.ts';
import { probeHttp } from './http-probe.ts';
import { describeError, type ProbeResult, socketHost, socketPort } from './probe-result.ts';
import { probeTcp } from './tcp-probe.ts';

export interface HealthTarget {
  name: string;
  url: string;
}

export interface HealthStatus {
  healthy: boolean;
  consecutiveOk: number;
  consecutiveFail: number;
  lastResult?: ProbeResult;
  /** Wall-clock ms (the event bus clock, `now()` in events.ts) when the last probe finished. */
  lastCheckAt?: number;
}

export interface ActiveHealthCheckerOptions {
  pool: string;
  config: HealthConfig;
  /** Fires exactly once per state change that probes cause (not for `setHealthy`). */
  onTransition: (server: string, healthy: boolean, reason: string) => void;
  /** Fires after every probe, once the state has been updated. */
  onProbe?: (server: string, result: ProbeResult) => void;
  /** TLS options for https:// targets (the pool's CA, verification, SNI name). */
  tls?: { ca?: string; rejectUnauthorized?: boolean; servername?: string };
}

interface Entry extends HealthStatus {
  name: string;
  url: URL;
  timer?: NodeJS.Timeout;
  inflight?: { controller: AbortController; done: Promise<void> };
}

/**
 * Active health checks for one pool, HAProxy-style. A healthy server goes down after `fall`
 * consecutive failed probes, a down one comes back after `rise` consecutive successes, and
 * `onTransition` fires once per change with the last probe's reason.
 *
 * Scheduling is start-to-start and strictly sequential per server: the next probe starts at
 * max(previous start + interval, previous end), so one server never has two probes in flight.
 * While a healthy server is failing (a streak that has not reached fall yet), and while a server
 * is down, the interval is `fastInterval`, otherwise `interval`. A frozen server is therefore
 * marked down within interval + (fall - 1) * max(fastInterval, timeout) + timeout, and a
 * returning one is back within rise × fastInterval (plus a probe's time).
 *
 * Timers are unref'd: the checker alone does not keep the process alive (the balancer's
 * listening sockets do). A probe's own socket and timeout stay ref'd, bounded by `timeout`.
 */
export class ActiveHealthChecker {
  private readonly servers = new Map<string, Entry>();
  private running = false;
  /** Bumped by stop(): a probe from an earlier run never reschedules itself after a restart. */
  private epoch = 0;

  constructor(private readonly options: ActiveHealthCheckerOptions) {}

  /** Adds a server; when the checker is running its first probe follows within a short jitter. */
  add(target: HealthTarget, initiallyHealthy = true): void {
    if (this.servers.has(target.name)) {
      throw new Error(`health checker for pool ${this.options.pool}: server ${target.name} added twice`);
    }
    const entry: Entry = {
      name: target.name,
      url: new URL(target.url),
      healthy: initiallyHealthy,
      consecutiveOk: 0,
      consecutiveFail: 0,
    };
    this.servers.set(target.name, entry);
    if (this.running) this.schedule(entry, this.firstDelay());
  }

  /** Forgets a server: cancels its timer and aborts its probe in flight (whose result is dropped). */
  remove(name: string): void {
    const entry = this.servers.get(name);
    if (!entry) return;
    this.servers.delete(name);
    clearTimeout(entry.timer);
    entry.inflight?.controller.abort();
  }

  /** Starts probing every server; the first probes are spread over min(interval, 100ms). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const entry of this.servers.values()) this.schedule(entry, this.firstDelay());
  }

  /** Cancels all timers, aborts probes in flight, and resolves once they have settled. */
  async stop(): Promise<void> {
    this.running = false;
    this.epoch++;
    const pending: Promise<void>[] = [];
    for (const entry of this.servers.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      if (entry.inflight) {
        entry.inflight.controller.abort();
        pending.push(entry.inflight.done);
      }
    }
    await Promise.all(pending);
  }

  status(name: string): HealthStatus | undefined {
    const e = this.servers.get(name);
    if (!e) return undefined;
    const { healthy, consecutiveOk, consecutiveFail, lastResult, lastCheckAt } = e;
    return { healthy, consecutiveOk, consecutiveFail, lastResult, lastCheckAt };
  }

  /**
   * Forces a server's state (admin override, resync after a restart) WITHOUT calling onTransition:
   * the caller knows about the change and publishes its own event (source 'admin'). Both streak
   * counters restart from zero, so probes need a full fall/rise streak to change the state again.
   * Returns false for an unknown server.
   */
  setHealthy(name: string, healthy: boolean): boolean {
    const e = this.servers.get(name);
    if (!e) return false;
    e.healthy = healthy;
    e.consecutiveOk = 0;
    e.consecutiveFail = 0;
    return true;
  }

  private firstDelay(): number {
    return Math.random() * Math.min(this.options.config.interval, 100);
  }

  private schedule(entry: Entry, delayMs: number): void {
    entry.timer = setTimeout(() => this.run(entry), Math.max(0, delayMs));
    entry.timer.unref();
  }

  private run(entry: Entry): void {
    entry.timer = undefined;
    const controller = new AbortController();
    const epoch = this.epoch;
    const startedAt = performance.now();
    const done = this.probe(entry.url, controller.signal).then((result) => {
      entry.inflight = undefined;
      // Stopped or removed meanwhile: drop the result, schedule nothing.
      if (epoch !== this.epoch || this.servers.get(entry.name) !== entry) return;
      this.record(entry, result);
      const { interval, fastInterval } = this.options.config;
      // A down server is probed at the fast pace too (HAProxy's downinter, Envoy's
      // unhealthy_interval): it is back within about rise × fastInterval of its return.
      const fast = !entry.healthy || entry.consecutiveFail > 0;
      this.schedule(entry, startedAt + (fast ? fastInterval : interval) - performance.now());
    });
    entry.inflight = { controller, done };
  }

  private async probe(url: URL, signal: AbortSignal): Promise<ProbeResult> {
    const cfg = this.options.config;
    try {
      if (cfg.type === 'http') return await probeHttp(url, cfg, signal, this.options.tls);
      return await probeTcp(socketHost(url), socketPort(url), cfg.timeout, signal);
    } catch (err) {
      return { ok: false, latencyMs: 0, reason: describeError(err) }; // probes never throw; belt and braces
    }
  }

  private record(entry: Entry, result: ProbeResult): void {
    entry.lastResult = result;
    entry.lastCheckAt = now();
    if (result.ok) {
      entry.consecutiveOk++;
      entry.consecutiveFail = 0;
    } else {
      entry.consecutiveFail++;
      entry.consecutiveOk = 0;
    }
    const { rise, fall } = this.options.config;
    let reason: string | undefined;
    if (entry.healthy && entry.consecutiveFail >= fall) {
      reason = `${fall} consecutive ${fall === 1 ? 'failure' : 'failures'}: ${result.reason}`;
    } else if (!entry.healthy && entry.consecutiveOk >= rise) {
      reason = `${rise} consecutive ${rise === 1 ? 'success' : 'successes'}: ${result.reason}`;
    }
    if (reason !== undefined) {
      entry.healthy = !entry.healthy;
      this.notify(() => this.options.onTransition(entry.name, entry.healthy, reason));
    }
    this.notify(() => this.options.onProbe?.(entry.name, result));
  }

  /** A throwing callback must not stop the probe loop; it is reported as a process warning. */
  private notify(callback: () => void): void {
    try {
      callback();
    } catch (err) {
      process.emitWarning(`health checker for pool ${this.options.pool}: callback threw: ${String(err)}`);
    }
  }
}
