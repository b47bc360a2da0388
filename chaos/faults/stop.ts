import { how, processFault } from './process-fault.ts';

/** Graceful stop (SIGTERM, wait for exit) / `docker stop`; undone by starting it again. */
export const stopFault = processFault(
  'stop',
  'stop the process (SIGTERM, wait for exit) or container; reverted by starting it again',
  (target) => `stop ${target.name} (${how(target, 'SIGTERM and wait for exit', 'docker stop')})`,
);
