import type { Fault, Target } from '../types.ts';
import { how, noParams } from './process-fault.ts';

function unsupported(target: Target): string | undefined {
  if (target.partition) return undefined;
  return target.kind === 'local-process'
    ? `partition needs a toxic proxy in front of local target ${target.name}, or a docker target`
    : `target ${target.name} cannot be partitioned`;
}

/** Cut the target off the network: its proxy down (local) / `docker network disconnect`. */
export const partitionFault: Fault<Record<string, never>> = {
  name: 'partition',
  summary: 'cut the target off the network (its toxic proxy down, or docker network disconnect)',
  params: noParams(),
  precheck: unsupported,
  describe: (target) =>
    `partition ${target.name} (${how(target, 'its toxic proxy down', 'docker network disconnect')})`,
  planRevert: (target) => target.planRevert('partition'),
  async inject(target) {
    const why = unsupported(target);
    if (why || !target.partition) throw new Error(why);
    await target.partition();
  },
};
