import { defineFault, type Target } from '../types.ts';
import { downFault } from './down.ts';
import { noParams } from './process-fault.ts';

/**
 * A local process has no network of its own to leave: what cuts it off is its toxic proxy
 * going down, which is the `down` fault. A container leaves every network it is on.
 */
const isLocal = (target: Target) => target.kind === 'local-process';

function unsupported(target: Target): string | undefined {
  if (isLocal(target))
    return target.proxy
      ? undefined
      : `partition needs a toxic proxy in front of local target ${target.name}, or a docker target`;
  return target.partition ? undefined : `target ${target.name} cannot be partitioned`;
}

/** Cut the target off the network: `down` (local) / `docker network disconnect` from every network. */
export const partitionFault = defineFault({
  name: 'partition',
  summary: 'cut the target off the network (its toxic proxy down, or docker network disconnect)',
  params: noParams(),
  precheck: unsupported,
  describe: (target) =>
    `partition ${target.name} (${isLocal(target) ? 'its toxic proxy down' : 'docker network disconnect'})`,
  planRevert: (target) =>
    isLocal(target) ? downFault.planRevert(target, {}) : target.planRevert('partition'),
  async inject(target) {
    const why = unsupported(target);
    if (why) throw new Error(why);
    if (isLocal(target)) await downFault.inject(target, {});
    else await target.partition?.();
  },
});
