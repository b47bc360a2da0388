/**
 * The sample backend's misbehaviour knobs: their types, defaults, validation, and the
 * small controller the control routes and in-process tests use to change them.
 *
 * One table (`SPECS`) describes every knob once — env variable, accepted values, check —
 * so the env reader and the `PUT /_faultline/knobs` route give the same messages.
 */

export interface Knobs {
  /** Delay added before answering, in milliseconds (all routes except `/_faultline/`). */
  latencyMs: number;
  /** Fraction (0..1) of requests answered with `errorStatus` (not `/health`, not control). */
  errorRate: number;
  /** Status used for injected errors. */
  errorStatus: number;
  /** While true, new requests are parked unanswered until released. */
  hang: boolean;
  /** Status `GET /health` answers with. */
  healthStatus: number;
}

export type KnobName = keyof Knobs;

export const DEFAULT_KNOBS: Readonly<Knobs> = Object.freeze({
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 500,
  hang: false,
  healthStatus: 200,
});

/** A knob value (from JSON or the environment) that is not acceptable. */
export class KnobError extends Error {
  readonly code = 'ERR_INVALID_KNOB';
  constructor(
    /** The knob name (`latencyMs`), the env variable (`LATENCY_MS`) or `body`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'KnobError';
  }
}

interface KnobSpec<K extends KnobName> {
  env: string;
  /** What JSON values are accepted, for messages. */
  accepts: string;
  /** What env strings are accepted, for messages. */
  envAccepts: string;
  valid(value: unknown): value is Knobs[K];
  fromEnv(raw: string): unknown;
}

const intIn =
  (min: number, max: number) =>
  (value: unknown): value is number =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

const toNumber = (raw: string): unknown => (raw.trim() === '' ? raw : Number(raw));

const TRUE_WORDS = ['1', 'true', 'yes', 'on'];
const FALSE_WORDS = ['0', 'false', 'no', 'off'];
const toBoolean = (raw: string): unknown => {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  return raw;
};

const MAX_LATENCY_MS = 600_000;

export const KNOB_SPECS: { readonly [K in KnobName]: KnobSpec<K> } = {
  latencyMs: {
    env: 'LATENCY_MS',
    accepts: `an integer number of milliseconds from 0 to ${MAX_LATENCY_MS}`,
    envAccepts: `an integer number of milliseconds from 0 to ${MAX_LATENCY_MS}`,
    valid: intIn(0, MAX_LATENCY_MS),
    fromEnv: toNumber,
  },
  errorRate: {
    env: 'ERROR_RATE',
    accepts: 'a number from 0 to 1 (fraction of requests that fail)',
    envAccepts: 'a number from 0 to 1 (fraction of requests that fail)',
    valid: (v): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1,
    fromEnv: toNumber,
  },
  errorStatus: {
    env: 'ERROR_STATUS',
    accepts: 'an integer HTTP status from 400 to 599',
    envAccepts: 'an integer HTTP status from 400 to 599',
    valid: intIn(400, 599),
    fromEnv: toNumber,
  },
  hang: {
    env: 'HANG',
    accepts: 'true or false',
    envAccepts: `one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`,
    valid: (v): v is boolean => typeof v === 'boolean',
    fromEnv: toBoolean,
  },
  healthStatus: {
    env: 'HEALTH_STATUS',
    accepts: 'an integer HTTP status from 200 to 599',
    envAccepts: 'an integer HTTP status from 200 to 599',
    valid: intIn(200, 599),
    fromEnv: toNumber,
  },
};

export const KNOB_NAMES = Object.keys(KNOB_SPECS) as KnobName[];

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

/**
 * Validates a partial knob object (the body of `PUT /_faultline/knobs`).
 * Throws a KnobError naming the first bad or unknown field.
 */
export function parseKnobPatch(input: unknown): Partial<Knobs> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new KnobError(
      'body',
      `body must be a JSON object of knobs (${KNOB_NAMES.join(', ')}), got ${show(input)}`,
    );
  }
  const patch: Partial<Knobs> = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(KNOB_SPECS, field)) {
      throw new KnobError(field, `unknown knob "${field}"; known knobs: ${KNOB_NAMES.join(', ')}`);
    }
    const name = field as KnobName;
    const spec = KNOB_SPECS[name] as KnobSpec<KnobName>;
    if (!spec.valid(value)) {
      throw new KnobError(field, `${field} must be ${spec.accepts}, got ${show(value)}`);
    }
    (patch as Record<KnobName, unknown>)[name] = value;
  }
  return patch;
}

/**
 * Reads every knob's env variable that is set (non-empty) from `env`.
 * Throws a KnobError whose field is the variable name.
 */
export function knobsFromEnv(env: Record<string, string | undefined>): Partial<Knobs> {
  const patch: Partial<Knobs> = {};
  for (const name of KNOB_NAMES) {
    const spec = KNOB_SPECS[name] as KnobSpec<KnobName>;
    const raw = env[spec.env];
    if (raw === undefined || raw === '') continue;
    const value = spec.fromEnv(raw);
    if (!spec.valid(value)) {
      throw new KnobError(spec.env, `${spec.env} must be ${spec.envAccepts}, got ${JSON.stringify(raw)}`);
    }
    (patch as Record<KnobName, unknown>)[name] = value;
  }
  return patch;
}

/** Live knob values for one backend; `initial` is what `reset()` returns to. */
export interface KnobController {
  readonly initial: Readonly<Knobs>;
  get(): Readonly<Knobs>;
  /** Validates (throws KnobError) and applies a partial update; returns the new values. */
  set(patch: Partial<Knobs>): Readonly<Knobs>;
  reset(): Readonly<Knobs>;
}

export function createKnobs(start: Partial<Knobs> = {}): KnobController {
  const initial: Readonly<Knobs> = Object.freeze({ ...DEFAULT_KNOBS, ...parseKnobPatch(start) });
  let current: Readonly<Knobs> = initial;
  return {
    initial,
    get: () => current,
    set(patch) {
      current = Object.freeze({ ...current, ...parseKnobPatch(patch) });
      return current;
    },
    reset() {
      current = initial;
      return current;
    },
  };
}
