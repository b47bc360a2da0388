import { ToxicProxyClient } from '../toxic-proxy/index.ts';
import { defineFault } from '../types.ts';
import { noParams } from './process-fault.ts';
import { proxyOf } from './toxic-fault.ts';

/**
 * Takes the target's proxy down: new connections refused, open ones cut (Toxiproxy's
 * enabled=false). The process and its network are left alone. On a local target this is
 * also what `partition` does (partition.ts reuses it).
 */
export const downFault = defineFault({
  name: 'down',
  summary: "take the target's proxy down: connections refused and cut",
  params: noParams(),
  precheck: (target) =>
    target.proxy ? undefined : `target ${target.name} has no toxic proxy in front of it`,
  describe: (target) => `take ${target.name}'s proxy down`,
  planRevert: (target) => ({
    kind: 'enable-proxy',
    controlUrl: proxyOf(target).controlUrl,
    proxy: proxyOf(target).name,
  }),
  async inject(target) {
    const proxy = proxyOf(target);
    await new ToxicProxyClient(proxy.controlUrl).setEnabled(proxy.name, false);
  },
});
