import { z } from 'zod';
import { durationField } from '../../core/validation/fields.ts';
import { ToxicProxyClient } from '../toxic-proxy/index.ts';
import { defineFault, type Target } from '../types.ts';

/** Params shared by every network fault (Toxiproxy's envelope), apart from each toxic's own. */
const envelope = {
  stream: z
    .enum(['upstream', 'downstream'], { error: 'must be "upstream" or "downstream"' })
    .default('downstream'),
  toxicity: z.number({ error: 'must be a number from 0 to 1' }).min(0).max(1).default(1),
};

/** The envelope once parsed: what `toxicFault` needs of any network fault's params. */
type Envelope = { stream: 'upstream' | 'downstream'; toxicity: number };

/**
 * A network fault's params schema: its toxic's own `attributes` plus the envelope. Unknown
 * names are rejected. Each fault file calls it once; its type is that fault's params type.
 */
export const toxicParams = <Attributes extends z.ZodRawShape>(attributes: Attributes) =>
  z.strictObject({ ...attributes, ...envelope });

/** A duration param: `250ms`, `2s`, or milliseconds (the rule every duration follows). */
export const durationParam = () => durationField();

export function proxyOf(target: Target): { controlUrl: string; name: string } {
  if (!target.proxy) throw new Error(noProxy(target));
  return target.proxy;
}

function noProxy(target: Target): string {
  return `target ${target.name} has no toxic proxy in front of it: network faults need one (the local stack and the compose stack put one in front of every backend)`;
}

/** The toxic's own attributes: the params without the envelope. */
function attributesOf({ stream: _, toxicity: __, ...attributes }: Envelope & Record<string, unknown>) {
  return attributes;
}

/**
 * A network fault that adds one toxic of `type` to the target's proxy. Its name on the proxy
 * is fixed (`faultline_<type>_<stream>`), so the ledger knows what to remove before it exists.
 */
export function toxicFault<
  const Type extends string,
  Params extends z.ZodType<Envelope & Record<string, unknown>>,
>(type: Type, summary: string, params: Params) {
  const toxicName = (p: Envelope) => `faultline_${type}_${p.stream}`;
  return defineFault({
    name: type,
    summary,
    params,
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
  });
}
