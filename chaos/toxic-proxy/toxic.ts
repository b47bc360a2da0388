import { z } from 'zod';
import { ToxicProxyError } from './errors.ts';

/** `upstream`: client → server; `downstream`: server → client (Toxiproxy's names). */
export type StreamDirection = 'upstream' | 'downstream';
export const STREAM_DIRECTIONS: readonly StreamDirection[] = ['upstream', 'downstream'];

/** A toxic as stored and reported: the generic envelope plus the type's own attributes. */
export interface ToxicInfo {
  name: string;
  type: string;
  stream: StreamDirection;
  /** Probability (0..1) that a connection gets this toxic; decided once per connection. */
  toxicity: number;
  attributes: Record<string, unknown>;
}

/** What a caller sends to add a toxic; everything but `type` has a default. */
export interface ToxicInput {
  name?: string;
  type: string;
  stream?: StreamDirection;
  toxicity?: number;
  attributes?: Record<string, unknown>;
}

/** What a toxic may do to the one direction of the one connection it sits on. */
export interface ToxicContext {
  /** Passes a chunk (`null`: end of stream) on to the next toxic, or to the destination socket. */
  forward(chunk: Buffer | null): void;
  /** Drops a chunk for good (keeps the flow-control accounting right). */
  discard(chunk: Buffer): void;
  /** Closes the whole connection (FIN both ways); data still held by toxics is dropped. */
  close(): void;
  /** Resets the whole connection (RST both ways). */
  reset(): void;
}

/** One toxic on one direction of one connection. Order in = order out, always. */
export interface ToxicStage {
  /** Takes the next chunk (`null`: the source ended) and forwards it, now or later, or drops it. */
  pipe(chunk: Buffer | null): void;
  /**
   * The toxic was removed (`flush`: pass held data on now, in order) or the connection is gone
   * (`flush` false). Clears timers. Called at most once.
   */
  stop?(flush: boolean): void;
}

/** A toxic type, registered by name in registry.ts. */
export interface ToxicType {
  readonly type: string;
  readonly summary: string;
  /** Validates attributes and fills defaults; throws a ToxicProxyError naming the field. */
  parseAttributes(input: unknown): Record<string, unknown>;
  /** Builds the toxic for one direction of one connection. */
  open(attributes: Record<string, unknown>, ctx: ToxicContext): ToxicStage;
}

/** Largest delay a timer can take (setTimeout's limit, ~24.8 days). */
export const MAX_MS = 2_147_483_647;

/** An integer attribute with a default, and a message that shows what was sent. */
export function intAttribute(min: number, max: number, fallback: number) {
  return z
    .unknown()
    .transform((v, ctx): number => {
      if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
      const range = max === MAX_MS || max >= Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      ctx.addIssue({
        code: 'custom',
        message: `must be an integer ${range} (got ${JSON.stringify(v) ?? 'undefined'})`,
      });
      return z.NEVER;
    })
    .default(fallback);
}

/**
 * Declares a toxic type: its zod attribute shape (strict), how to open one, and optionally a rule
 * across attributes (returns `[attribute, message]` when broken).
 */
export function defineToxic<S extends z.ZodRawShape>(
  type: string,
  summary: string,
  shape: S,
  open: (attributes: z.output<z.ZodObject<S>>, ctx: ToxicContext) => ToxicStage,
  rule?: (attributes: z.output<z.ZodObject<S>>) => [string, string] | undefined,
): ToxicType {
  const schema = z.strictObject(shape);
  const known = Object.keys(shape).join(', ');
  return {
    type,
    summary,
    parseAttributes(input) {
      if (input === undefined || input === null) input = {};
      if (typeof input !== 'object' || Array.isArray(input)) {
        throw new ToxicProxyError('invalid_toxic', `${type}: attributes must be an object (known: ${known})`);
      }
      const result = schema.safeParse(input);
      if (result.success) {
        const broken = rule?.(result.data as z.output<z.ZodObject<S>>);
        if (broken) throw new ToxicProxyError('invalid_toxic', `${type}.${broken[0]}: ${broken[1]}`);
        return result.data as Record<string, unknown>;
      }
      const messages = result.error.issues.map((issue) => {
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((k) => `${type}.${k}: unknown attribute (known: ${known})`).join('; ');
        }
        return `${type}.${issue.path.join('.')}: ${issue.message}`;
      });
      throw new ToxicProxyError('invalid_toxic', messages.join('; '));
    },
    open: (attributes, ctx) => open(attributes as z.output<z.ZodObject<S>>, ctx),
  };
}
