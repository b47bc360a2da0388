import { defineFault } from '../types.ts';
import { how, noParams } from './process-fault.ts';

/**
 * Stop, then start again: it restores itself. The revert record is still "start it again"
 * (a no-op when it is up), so a crash between the stop and the start leaves nothing down.
 */
export const restartFault = defineFault({
  name: 'restart',
  summary: 'stop the process or container and start it again',
  params: noParams(),
  describe: (target) =>
    `restart ${target.name} (${how(target, 'SIGTERM, wait, start again on its port', 'docker restart')})`,
  planRevert: (target) => target.planRevert('stop'),
  inject: (target) => target.restart(),
});
