import type { RevertRecord, Target } from '../types.ts';

/**
 * The sample backend's knob defaults (backends/README.md). An http_* fault's revert puts back
 * the knobs it changes to these defaults: planRevert must not do I/O, so it cannot read the
 * values before the fault. A backend started with other values (LATENCY_MS=50, ...) gets the
 * defaults back, not its start values.
 */
export const KNOB_DEFAULTS = { latencyMs: 0, errorRate: 0, errorStatus: 500, hang: false } as const;

function noControlApi(target: Target): string {
  return `target ${target.name} has no control API (http_* faults need the sample backend's /_faultline routes)`;
}

export const precheckControlApi = (target: Target): string | undefined =>
  target.controlUrl ? undefined : noControlApi(target);

export function controlUrlOf(target: Target): string {
  if (!target.controlUrl) throw new Error(noControlApi(target));
  return target.controlUrl;
}

/** The revert record that puts `knobs` back on the target's control API. */
export function restoreKnobs(target: Target, knobs: Record<string, unknown>): RevertRecord {
  return {
    kind: 'restore-knobs',
    controlUrl: controlUrlOf(target),
    knobs,
    ...(target.controlContainer ? { container: { ...target.controlContainer, plannedAt: Date.now() } } : {}),
  };
}

/** PUT /_faultline/knobs with `patch`; a refusal throws with the backend's message. */
export async function setKnobs(target: Target, patch: Record<string, unknown>): Promise<void> {
  const url = `${controlUrlOf(target)}/_faultline/knobs`;
  const res = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`${target.name}'s control API PUT ${url} answered ${res.status}: ${text.slice(0, 300)}`);
}
