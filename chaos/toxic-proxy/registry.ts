import { z } from 'zod';
import { ToxicProxyError } from './errors.ts';
import { STREAM_DIRECTIONS, type ToxicInfo, type ToxicType } from './toxic.ts';
import { bandwidthToxic } from './toxics/bandwidth.ts';
import { latencyToxic } from './toxics/latency.ts';
import { limitDataToxic } from './toxics/limit-data.ts';
import { resetPeerToxic } from './toxics/reset-peer.ts';
import { slicerToxic } from './toxics/slicer.ts';
import { slowCloseToxic } from './toxics/slow-close.ts';
import { timeoutToxic } from './toxics/timeout.ts';

/** Every toxic type, by its Toxiproxy name. */
export const toxicTypes: ReadonlyMap<string, ToxicType> = new Map(
  [
    latencyToxic,
    bandwidthToxic,
    timeoutToxic,
    resetPeerToxic,
    slowCloseToxic,
    limitDataToxic,
    slicerToxic,
  ].map((t) => [t.type, t]),
);

const got = (v: unknown) => `(got ${JSON.stringify(v) ?? 'undefined'})`;

/** Names of proxies and toxics: they appear in URLs, so keep them plain. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;
const nameMessage = 'must be 1-100 characters of letters, digits, "_", "." or "-"';

const envelope = z.strictObject({
  name: z
    .unknown()
    // "" is "no name" (the Go client sends it when none is given): the default name then.
    .refine((v) => v === undefined || v === '' || (typeof v === 'string' && NAME_PATTERN.test(v)), {
      error: (iss) => `${nameMessage} ${got(iss.input)}`,
    })
    .optional(),
  type: z.unknown().refine((v) => typeof v === 'string' && v !== '', {
    error: (iss) => `must be a toxic type (${[...toxicTypes.keys()].join(', ')}) ${got(iss.input)}`,
  }),
  // Toxiproxy reads the direction case-insensitively.
  stream: z
    .unknown()
    .refine(
      (v) =>
        v === undefined || (typeof v === 'string' && STREAM_DIRECTIONS.includes(v.toLowerCase() as never)),
      {
        error: (iss) => `must be "upstream" or "downstream" ${got(iss.input)}`,
      },
    )
    .optional(),
  toxicity: z
    .unknown()
    .refine((v) => v === undefined || (typeof v === 'number' && v >= 0 && v <= 1), {
      error: (iss) => `must be a number from 0 to 1 ${got(iss.input)}`,
    })
    .optional(),
  attributes: z.unknown().optional(),
});

/** Validates a toxic as sent by a caller, filling every default. Throws ToxicProxyError. */
export function parseToxic(input: unknown): ToxicInfo {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ToxicProxyError(
      'invalid_toxic',
      'a toxic must be an object {name?, type, stream?, toxicity?, attributes}',
    );
  }
  const result = envelope.safeParse(input);
  if (!result.success) {
    const msg = result.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown field(s) ${i.keys.join(', ')} (known: name, type, stream, toxicity, attributes)`
        : `${i.path.join('.')}: ${i.message}`,
    );
    throw new ToxicProxyError('invalid_toxic', msg.join('; '));
  }
  const raw = result.data;
  const type = toxicTypes.get(raw.type as string);
  if (!type) {
    throw new ToxicProxyError(
      'unknown_toxic_type',
      `invalid toxic type: ${JSON.stringify(raw.type)}; known types: ${[...toxicTypes.keys()].join(', ')}`,
    );
  }
  const stream = ((raw.stream as string | undefined)?.toLowerCase() ?? 'downstream') as ToxicInfo['stream'];
  return {
    name: (raw.name as string | undefined) || `${type.type}_${stream}`,
    type: type.type,
    stream,
    toxicity: (raw.toxicity as number | undefined) ?? 1,
    attributes: type.parseAttributes(raw.attributes),
  };
}

/**
 * Applies an update to a toxic (Toxiproxy's POST|PATCH /proxies/{proxy}/toxics/{toxic}): the
 * attributes sent replace those of the same name, the others stay; `toxicity` when sent. The
 * result is checked as a new toxic would be. Clients send the whole toxic back, so `name`, `type`
 * and `stream` may come along unchanged; changing them is refused (delete the toxic and add it
 * again). Throws ToxicProxyError.
 */
export function parseToxicUpdate(current: ToxicInfo, input: unknown): ToxicInfo {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ToxicProxyError('invalid_toxic', 'a toxic update must be an object {toxicity?, attributes?}');
  }
  const body = input as Record<string, unknown>;
  const sent = body.attributes ?? {};
  if (typeof sent !== 'object' || Array.isArray(sent)) {
    throw new ToxicProxyError('invalid_toxic', `attributes: must be an object ${got(sent)}`);
  }
  for (const field of ['name', 'type', 'stream'] as const) {
    const value = body[field];
    const unchanged =
      value === undefined ||
      (field === 'name' && value === '') || // no name, as on create
      value === current[field] ||
      (field === 'stream' && typeof value === 'string' && value.toLowerCase() === current.stream);
    if (!unchanged) {
      throw new ToxicProxyError(
        'invalid_toxic',
        `${field}: a toxic's ${field} cannot be changed (it is ${JSON.stringify(current[field])}, got ${JSON.stringify(value)}); ` +
          'delete the toxic and add it again',
      );
    }
  }
  const { name, type, stream } = current;
  const toxicity = body.toxicity ?? current.toxicity;
  return parseToxic({
    ...body,
    name,
    type,
    stream,
    toxicity,
    attributes: { ...current.attributes, ...sent },
  });
}
