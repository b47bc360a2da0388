import type { BackendServer, ServerCounters } from './backend-server.ts';

export interface HealthStatusView {
  healthy: boolean;
  consecutiveOk: number;
  consecutiveFail: number;
  lastResult?: { ok: boolean; latencyMs: number; reason: string };
  lastCheckAt?: number;
}

/** A server as the admin API shows it. */
export interface ServerSnapshot {
  name: string;
  url: string;
  backup: boolean;
  weight: number;
  state: BackendServer['state'];
  adminState: BackendServer['adminState'];
  healthy: boolean;
  healthReason: string;
  ejectedUntil: number | null;
  ejectionReason: string | null;
  probation: boolean;
  breaker: 'closed' | 'open' | 'half-open';
  inflight: number;
  maxConnections: number;
  lastLatencyMs: number | null;
  counters: ServerCounters;
  health: HealthStatusView | null;
}

export function snapshotServer(s: BackendServer, health: HealthStatusView | undefined): ServerSnapshot {
  return {
    name: s.name,
    url: s.url.href,
    backup: s.backup,
    weight: s.weight,
    state: s.state,
    adminState: s.adminState,
    healthy: s.healthy,
    healthReason: s.healthReason,
    ejectedUntil: s.ejected ? s.ejectedUntil : null,
    ejectionReason: s.ejected ? s.ejectionReason : null,
    probation: s.probation,
    breaker: s.breaker.current,
    inflight: s.inflight,
    maxConnections: s.maxConnections,
    lastLatencyMs: s.lastLatencyMs ?? null,
    counters: structuredClone(s.counters),
    health: health ?? null,
  };
}
