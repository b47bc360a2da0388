import { availableParallelism } from 'node:os';
import { describe } from '../../core/validation/messages.ts';

export const MAX_WORKERS = 64;

/**
 * The rule for the config's `workers` and `faultline balancer --workers`: a whole number from 1
 * to 64, or `auto` (one per core, as nginx's `worker_processes auto`), resolved here.
 */
export function checkWorkers(value: unknown): { workers: number } | { problem: string } {
  if (value === 'auto') return { workers: availableParallelism() };
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_WORKERS) {
    return { workers: value };
  }
  return {
    problem: `must be a whole number from 1 to ${MAX_WORKERS} or "auto" (one per core) (got ${describe(value)})`,
  };
}
