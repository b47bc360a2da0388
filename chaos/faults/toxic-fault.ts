import { z } from 'zod';
import { durationField } from '../../core/validation/fields.ts';
import { ToxicProxyClient } from '../toxic-proxy/index.ts';
import type { Fault, Target } from '../types.ts';

/** Params shared by every network fault (Toxiproxy's envelope). */
const envelope = {
  stream: z
    .enum(['upstream', 'downstream'], { error: 'must be "upstream" or "downstream"' })
    .default('downstream'),
  toxicity: z.number({ error: 'must be a number from 0 to 1' }).min(0).max(1).default(1),
};

/** A duration param: `250ms`, `2s`, or milliseconds (the rule every duration follows). */
export const durationParam = () => durationField();

export function proxyOf(target: Target): { controlUrl: string; name: string } {
  if (!target.proxy) throw new Error(noProxy(target));
  return target.proxy;
}

function noProxy(target: Target): string {
  return `target ${target.name} has no toxic proxy in front of it: network faults need one (the local stack and the compose stack put one in front of every backend)`;
}

/**
 * A network fault that adds one toxic of `type` to the target's proxy. Its name on the proxy
 * is fixed (`faultline_<type>_<stream>`), so the ledger knows what to remove before it exists.
 */
export interface ToxicParams {
  stream: 'upstream' | 'downstream';
  toxicity: number;
  [attribute: string]: unknown;
}

export function toxicFault(type: string, summary: string, attributes: z.ZodRawShape): Fault<ToxicParams> {
  const params = z.strictObject({ ...attributes, ...envelope });
  type Params = ToxicParams;
  const toxicName = (p: Params) => `faultline_${type}_${p.stream}`;
  const attributesOf = (p: Params) => Object.fromEntries(Object.keys(attributes).map((k) => [k, p[k]]));
  return {
    name: type,
    summary,
    params: params as unknown as z.ZodType<Params>,
    precheck: (target) => (target.proxy ? undefined : noProxy(target)),
    describe: (target, p) =>
      `add toxic ${type} ${JSON.stringify(attributesOf(p))} on ${p.stream} of ${target.name}'s proxy` +
      (p.toxicity < 1 ? ` (toxicity ${p.toxicity})` : ''),
    planRevert: (target, p) => ({
      kind: 'remove-toxic',
      controlUrl: proxyOf(target).controlUrl,
      proxy: proxyOf(target).name,
      toxic: toxicName(p),
    }),
    async inject(target, p) {
      const proxy = proxyOf(target);
      await new ToxicProxyClient(proxy.controlUrl).addToxic(proxy.name, {
        name: toxicName(p),
        type,
        stream: p.stream,
        toxicity: p.toxicity,
        attributes: attributesOf(p),
      });
    },
  };
}
