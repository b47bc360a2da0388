import { BackendControlClient } from '../../backends/control-client.ts';
import type { RevertRecord, Target } from '../types.ts';

/**
 * An http_* fault's revert puts the knobs it changes back to the sample backend's defaults
 * (DEFAULT_KNOBS): planRevert must not do I/O, so it cannot read the values before the fault. A
 * backend started with other values (LATENCY_MS=50, ...) gets the defaults back, not its start values.
 */
export { DEFAULT_KNOBS } from '../../backends/knobs.ts';

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

/** Changes the target's knobs; a refusal throws with the backend's message. */
export async function setKnobs(target: Target, patch: Record<string, unknown>): Promise<void> {
  try {
    await new BackendControlClient(controlUrlOf(target)).setKnobs(patch);
  } catch (err) {
    throw new Error(`${target.name}'s control API: ${(err as Error).message}`, { cause: err });
  }
}
