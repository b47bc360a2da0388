import { z } from 'zod';
import { defineFault, type Target } from '../types.ts';

/** A fault without parameters; unknown ones are rejected. Its input type is `Record<string, never>`. */
export const noParams = () => z.strictObject({});

/** How an action reads for `target`: a signal for a local process, the docker verb for a container. */
export function how(target: Target, local: string, container: string): string {
  return target.kind === 'local-process' ? local : container;
}

/** A fault that acts on the target's process or container through one Target method. */
export function processFault<const Name extends 'kill' | 'stop' | 'pause'>(
  name: Name,
  summary: string,
  describe: (target: Target) => string,
) {
  return defineFault({
    name,
    summary,
    params: noParams(),
    describe,
    planRevert: (target) => target.planRevert(name),
    inject: (target) => target[name](),
  });
}
