import { z } from 'zod';
import { ToxicProxyClient } from '../toxic-proxy/index.ts';
import type { Fault } from '../types.ts';
import { proxyOf } from './toxic-fault.ts';

/** Takes the target's proxy down: new connections refused, open ones cut (Toxiproxy's enabled=false). */
export const downFault: Fault<Record<string, never>> = {
  name: 'down',
  summary: "take the target's proxy down: connections refused and cut",
  params: z.strictObject({}) as unknown as z.ZodType<Record<string, never>>,
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
};
