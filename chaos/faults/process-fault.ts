import { z } from 'zod';
import type { Fault, Target } from '../types.ts';

/** A fault without parameters; unknown ones are rejected. */
export const noParams = () => z.strictObject({}) as unknown as z.ZodType<Record<string, never>>;

/** How an action reads for `target`: a signal for a local process, the docker verb for a container. */
export function how(target: Target, local: string, container: string): string {
  return target.kind === 'local-process' ? local : container;
}

/** A fault that acts on the target's process or container through one Target method. */
export function processFault(
  name: 'kill' | 'stop' | 'pause',
  summary: string,
  describe: (target: Target) => string,
): Fault<Record<string, never>> {
  return {
    name,
    summary,
    params: noParams(),
    describe,
    planRevert: (target) => target.planRevert(name),
    inject: (target) => target[name](),
  };
}
