import { EventEmitter } from 'node:events';
import { now } from '../core/clock.ts';

interface ServerRef {
  pool: string;
  server: string;
}

/** Why a server began a slow start: it came back from each way of leaving rotation, or is new. */
export type SlowStartTrigger = 'health-up' | 'ejection-ended' | 'enabled' | 'added';

/**
 * Everything the balancer decides about its servers, as a typed union. A drill measures
 * detection and failover from these, so every transition is published exactly once.
 */
export type BalancerEventBody =
  | ({ kind: 'server-down'; reason: string; source: 'active' | 'admin' } & ServerRef)
  | ({ kind: 'server-up'; reason: string; source: 'active' | 'admin' } & ServerRef)
  | ({ kind: 'ejected'; reason: string; durationMs: number } & ServerRef)
  | ({ kind: 'ejection-ended' } & ServerRef)
  | ({ kind: 'breaker-open'; reason: string; cooldownMs: number } & ServerRef)
  | ({ kind: 'breaker-half-open' } & ServerRef)
  | ({ kind: 'breaker-close' } & ServerRef)
  | { kind: 'failover-to-backup'; pool: string; backups: string[]; reason: string }
  | { kind: 'failback'; pool: string; primaries: string[] }
  | { kind: 'pool-empty'; pool: string }
  | {
      kind: 'panic-enter';
      pool: string;
      tier: 'primary' | 'backup';
      /** Servers of the tier that are enabled and pass active checks... */
      live: number;
      /** ...and of those, the ones outlier ejection and the breaker leave in. */
      passing: number;
      thresholdPercent: number;
    }
  | { kind: 'panic-exit'; pool: string; tier: 'primary' | 'backup' }
  | ({ kind: 'server-draining' } & ServerRef)
  | ({ kind: 'server-drained' } & ServerRef)
  | ({ kind: 'server-enabled' } & ServerRef)
  | ({ kind: 'server-disabled' } & ServerRef)
  | ({ kind: 'weight-changed'; from: number; to: number } & ServerRef)
  | ({ kind: 'slow-start'; windowMs: number; trigger: SlowStartTrigger } & ServerRef)
  /** A reload added it (it takes traffic at once, after a slow start when the pool has one). */
  | ({ kind: 'server-added' } & ServerRef)
  /** A reload removed it: after server-draining, once its last request ended (or the deadline). */
  | ({ kind: 'server-removed'; forced: boolean } & ServerRef)
  | { kind: 'config-reloaded'; source: string; changes: string[] }
  | { kind: 'config-reload-failed'; source: string; reason: string }
  | {
      kind: 'worker-exited';
      worker: number;
      pid: number;
      /** Exit code, or the signal that ended it. */
      exit: string;
      /** When a replacement starts; null while the balancer is stopping. */
      restartInMs: number | null;
    }
  | { kind: 'balancer-started'; listen: string; admin: string }
  | { kind: 'balancer-stopping'; inflight: number; deadlineMs: number };

export type BalancerEventKind = BalancerEventBody['kind'];

/** Every event kind, for validating names written by hand (drill conditions, SLAs). */
export const BALANCER_EVENT_KINDS = [
  'server-down',
  'server-up',
  'ejected',
  'ejection-ended',
  'breaker-open',
  'breaker-half-open',
  'breaker-close',
  'failover-to-backup',
  'failback',
  'pool-empty',
  'panic-enter',
  'panic-exit',
  'server-draining',
  'server-drained',
  'server-enabled',
  'server-disabled',
  'weight-changed',
  'slow-start',
  'server-added',
  'server-removed',
  'config-reloaded',
  'config-reload-failed',
  'worker-exited',
  'balancer-started',
  'balancer-stopping',
] as const satisfies readonly BalancerEventKind[];

// The list above must name every kind: this fails to compile when one is missing.
const everyKindListed: [Exclude<BalancerEventKind, (typeof BALANCER_EVENT_KINDS)[number]>] extends [never]
  ? true
  : false = true;
void everyKindListed;

const KIND_SET: ReadonlySet<string> = new Set(BALANCER_EVENT_KINDS);

export function isBalancerEventKind(value: string): value is BalancerEventKind {
  return KIND_SET.has(value);
}

/** `worker`: the cluster worker whose passive checks saw it (docs/balancer.md, Workers). */
export type BalancerEvent = BalancerEventBody & { seq: number; at: number; worker?: number };

/** Publishes events in order and keeps the most recent ones so late subscribers can replay. */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly recent: BalancerEvent[] = [];
  private seq = 0;

  constructor(private readonly keep = 1000) {
    this.emitter.setMaxListeners(0);
  }

  publish(body: BalancerEventBody, worker?: number): BalancerEvent {
    const event = (
      worker === undefined
        ? { ...body, seq: ++this.seq, at: now() }
        : { ...body, seq: ++this.seq, at: now(), worker }
    ) as BalancerEvent;
    this.recent.push(event);
    if (this.recent.length > this.keep) this.recent.shift();
    this.emitter.emit('event', event);
    return event;
  }

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: (event: BalancerEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** Events with seq greater than `afterSeq`, oldest first. */
  since(afterSeq = 0): BalancerEvent[] {
    return this.recent.filter((e) => e.seq > afterSeq);
  }
}

/** One line of human text per event kind; the compiler checks that every kind is handled. */
export function describeEvent(e: BalancerEventBody): string {
  switch (e.kind) {
    case 'server-down':
      return `${e.pool}/${e.server} down (${e.source}: ${e.reason})`;
    case 'server-up':
      return `${e.pool}/${e.server} up (${e.source}: ${e.reason})`;
    case 'ejected':
      return `${e.pool}/${e.server} ejected for ${e.durationMs}ms (${e.reason})`;
    case 'ejection-ended':
      return `${e.pool}/${e.server} ejection ended, probing`;
    case 'breaker-open':
      return `${e.pool}/${e.server} breaker open for ${e.cooldownMs}ms (${e.reason})`;
    case 'breaker-half-open':
      return `${e.pool}/${e.server} breaker half-open`;
    case 'breaker-close':
      return `${e.pool}/${e.server} breaker closed`;
    case 'failover-to-backup':
      return `${e.pool}: failover to backup ${e.backups.join(', ')} (${e.reason})`;
    case 'failback':
      return `${e.pool}: failback to ${e.primaries.join(', ')}`;
    case 'pool-empty':
      return `${e.pool}: no server available`;
    case 'panic-enter':
      return `${e.pool}: panic on the ${e.tier} tier: ${e.passing} of ${e.live} live servers pass passive checks (threshold ${e.thresholdPercent}%), routing across all ${e.live}`;
    case 'panic-exit':
      return `${e.pool}: ${e.tier} tier out of panic, passive checks apply again`;
    case 'server-draining':
      return `${e.pool}/${e.server} draining`;
    case 'server-drained':
      return `${e.pool}/${e.server} drained (no requests in flight)`;
    case 'server-enabled':
      return `${e.pool}/${e.server} enabled`;
    case 'server-disabled':
      return `${e.pool}/${e.server} disabled`;
    case 'weight-changed':
      return `${e.pool}/${e.server} weight ${e.from} -> ${e.to}`;
    case 'slow-start':
      return `${e.pool}/${e.server} slow start over ${e.windowMs}ms (${e.trigger})`;
    case 'server-added':
      return `${e.pool}/${e.server} added by a reload`;
    case 'server-removed':
      return `${e.pool}/${e.server} removed by a reload${e.forced ? ' (requests still in flight were cut at the deadline)' : ''}`;
    case 'config-reloaded':
      return `config reloaded from ${e.source}: ${e.changes.length > 0 ? e.changes.join('; ') : 'no changes'}`;
    case 'config-reload-failed':
      return `config reload from ${e.source} refused, the running config stays: ${e.reason}`;
    case 'worker-exited':
      return `worker ${e.worker} (pid ${e.pid}) exited (${e.exit})${e.restartInMs === null ? '' : `, restarting in ${e.restartInMs}ms`}`;
    case 'balancer-started':
      return `balancer listening on ${e.listen}, admin on ${e.admin}`;
    case 'balancer-stopping':
      return `balancer stopping, ${e.inflight} in flight, deadline ${e.deadlineMs}ms`;
  }
}
