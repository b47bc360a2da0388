import { how, processFault } from './process-fault.ts';

/** Freeze (SIGSTOP / `docker pause`): it accepts nothing and answers nothing until resumed. */
export const pauseFault = processFault(
  'pause',
  'freeze the process (SIGSTOP) or container: it answers nothing until resumed',
  (target) => `freeze ${target.name} (${how(target, 'SIGSTOP', 'docker pause')})`,
);
