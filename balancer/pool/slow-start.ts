import type { SlowStartConfig } from '../config/types.ts';
import type { EventBus, SlowStartTrigger } from '../events.ts';
import type { BackendServer } from './backend-server.ts';

/** Starts (or restarts) a server's slow start and says so; nothing when slow start is off. */
export function beginSlowStart(
  server: BackendServer,
  pool: string,
  slowStart: SlowStartConfig,
  events: EventBus,
  trigger: SlowStartTrigger,
): void {
  if (slowStart.window <= 0) return;
  server.slowStartFrom = Date.now();
  events.publish({ kind: 'slow-start', pool, server: server.name, windowMs: slowStart.window, trigger });
}

/**
 * The algorithm picked `picked`; while it ramps, it keeps the request only with probability
 * `rampFactor`, else the request goes to the pick among the others. So its share of requests is
 * its usual share scaled by the factor, with any algorithm (HAProxy ramps weights, which only
 * weighted algorithms see).
 */
export function rampedPick(
  picked: BackendServer,
  candidates: readonly BackendServer[],
  slowStart: SlowStartConfig,
  pickAmong: (others: BackendServer[]) => BackendServer | undefined,
  random: () => number = Math.random,
): BackendServer {
  if (picked.slowStartFrom === 0) return picked;
  const factor = picked.rampFactor(slowStart);
  if (factor >= 1 || random() < factor) return picked;
  const others = candidates.filter((s) => s !== picked);
  return (others.length > 0 ? pickAmong(others) : undefined) ?? picked;
}
