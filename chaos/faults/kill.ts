import { how, processFault } from './process-fault.ts';

/** SIGKILL the process / `docker kill`; undone by starting it again on its port. */
export const killFault = processFault(
  'kill',
  'kill the process (SIGKILL) or container; reverted by starting it again',
  (target) => `kill ${target.name} (${how(target, 'SIGKILL', 'docker kill')})`,
);
