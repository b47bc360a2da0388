import { z } from 'zod';
import { checkDuration } from '../../core/duration.ts';
import { describe, suggest } from '../../core/validation/messages.ts';
import { checkWorkers } from './workers.ts';

/**
 * Field validators. Each accepts anything, returns `undefined` for an absent field (defaults are
 * filled in later, in one place) and otherwise the checked value or one human message that
 * states the rule and shows the value it got.
 */

const FAIL = Symbol('fail');
type Failure = { [FAIL]: string };
const fail = (message: string): Failure => ({ [FAIL]: message });
const failed = (v: unknown): v is Failure => typeof v === 'object' && v !== null && FAIL in v;

function field<T>(check: (v: unknown) => T | Failure): z.ZodType<T | undefined> {
  return z
    .any()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const result = check(v);
      if (failed(result)) {
        ctx.addIssue({ code: 'custom', message: result[FAIL] });
        return z.NEVER;
      }
      return result;
    })
    .optional() as unknown as z.ZodType<T | undefined>;
}

export const duration = (min = 0) =>
  field<number>((v) => {
    const checked = checkDuration(v, min);
    return 'problem' in checked ? fail(checked.problem) : checked.ms;
  });

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A size in bytes: a whole number, or `512KiB`, `1MiB`, `1.5GiB` (binary units only: no guessing). */
export const byteSize = (min: number, max: number) =>
  field<number>((v) => {
    const match = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?\s*$/i.exec(v) : null;
    const bytes =
      typeof v === 'number' && Number.isInteger(v)
        ? v
        : match
          ? Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toLowerCase()] ?? Number.NaN))
          : undefined;
    if (bytes === undefined || Number.isNaN(bytes)) {
      return fail(`must be a size such as 65536, 64KiB, 1MiB or 1GiB (got ${describe(v)})`);
    }
    if (bytes < min || bytes > max) {
      return fail(`must be from ${min} to ${max} bytes (got ${describe(v)})`);
    }
    return bytes;
  });

export const int = (min: number, max: number) =>
  field<number>((v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? v
      : fail(`must be an integer from ${min} to ${max} (got ${describe(v)})`),
  );

/** How many worker processes (workers.ts has the rule, shared with `--workers`). */
export const workerCount = () =>
  field<number>((v) => {
    const checked = checkWorkers(v);
    return 'problem' in checked ? fail(checked.problem) : checked.workers;
  });

export const number = (min: number, max: number) =>
  field<number>((v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max
      ? v
      : fail(`must be a number from ${min} to ${max} (got ${describe(v)})`),
  );

export const bool = () =>
  field<boolean>((v) => (typeof v === 'boolean' ? v : fail(`must be true or false (got ${describe(v)})`)));

export const text = (rule?: { pattern: RegExp; says: string }) =>
  field<string>((v) => {
    if (typeof v !== 'string' || v === '') return fail(`must be a non-empty string (got ${describe(v)})`);
    if (rule && !rule.pattern.test(v)) return fail(`${rule.says} (got ${describe(v)})`);
    return v;
  });

/** A string, a number, or null/empty; for fields whose rules are checked later (listen, token). */
export const scalar = () =>
  field<string | number | null>((v) =>
    typeof v === 'string' || typeof v === 'number' || v === null
      ? v
      : fail(`must be a string or a number (got ${describe(v)})`),
  );

export const oneOf = <T extends string>(values: readonly T[]) =>
  field<T>((v) =>
    typeof v === 'string' && (values as readonly string[]).includes(v)
      ? (v as T)
      : fail(`must be one of ${values.join(', ')} (got ${describe(v)})${suggest(v, values)}`),
  );

/** `200`, `"200-399"` or `[200, 399]` → `{ min, max }`, within 100..599. */
export const statusRange = () =>
  field<{ min: number; max: number }>((v) => {
    let pair: unknown[] | undefined;
    if (typeof v === 'number') pair = [v, v];
    else if (typeof v === 'string' && /^\s*\d+\s*(-\s*\d+\s*)?$/.test(v)) {
      const [min, max = min] = v.split('-').map(Number);
      pair = [min, max];
    } else if (Array.isArray(v) && v.length === 2) pair = v;
    const [min, max] = (pair ?? []) as number[];
    const status = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599;
    if (!status(min) || !status(max) || (min as number) > (max as number)) {
      return fail(
        `must be a status (200), a range "200-399" or [200, 399], from 100 to 599 with min <= max (got ${Array.isArray(v) ? JSON.stringify(v) : describe(v)})`,
      );
    }
    return { min: min as number, max: max as number };
  });

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A mapping with known fields. An unknown field is an error that names it and suggests the
 * closest known one; it is reported even when other fields of the mapping are invalid.
 */
export function mapping<S extends z.ZodRawShape>(shape: S, noun = 'a mapping of fields') {
  const known = Object.keys(shape);
  return z.looseObject(shape, { error: (iss) => `must be ${noun} (got ${describe(iss.input)})` }).superRefine(
    (value, ctx) => {
      for (const key of Object.keys(value)) {
        if (known.includes(key)) continue;
        const hint = suggest(key, known);
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `unknown field "${key}"${hint || ` (known fields: ${known.join(', ')})`}`,
        });
      }
    },
    { when: (payload) => isPlainObject(payload.value) },
  );
}

/** A string that may be empty, or null (both mean "not set"). */
export const textOrEmpty = () =>
  field<string | null>((v) =>
    typeof v === 'string' || v === null ? v : fail(`must be a string (got ${describe(v)}); quote it`),
  );

/**
 * A backend address: `http://host[:port]`, `https://host[:port]` or `tcp://host:port`, with no
 * path other than "/", no query, fragment or credentials. Returns the origin
 * (`http://127.0.0.1:3001`); which schemes a pool takes is checked with the pool's mode.
 */
export const backendUrl = () =>
  field<string>((v) => {
    if (typeof v !== 'string' || v === '') return fail(`must be a non-empty string (got ${describe(v)})`);
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return fail(`must be an absolute URL such as http://127.0.0.1:3001 (got ${describe(v)})`);
    }
    if (!['http:', 'https:', 'tcp:'].includes(url.protocol)) {
      return fail(`must use http://, https:// or (in a tcp pool) tcp:// (got ${url.protocol}//)`);
    }
    if (!url.hostname) return fail(`must name a host (got ${describe(v)})`);
    if (url.username || url.password) return fail('must not contain credentials');
    if (url.protocol === 'tcp:') {
      if (!url.port) return fail(`must name a port, e.g. tcp://127.0.0.1:5432 (got ${describe(v)})`);
      if (url.pathname !== '' && url.pathname !== '/')
        return fail(`must not have a path (got ${describe(url.pathname)})`);
    } else if (url.pathname !== '/') {
      return fail(
        `must not have a path (got ${describe(url.pathname)}): requests keep their own path, so use routes for prefixes`,
      );
    }
    if (url.search || v.includes('?'))
      return fail(`must not have a query (got ${describe(url.search || '?')})`);
    if (url.hash || v.includes('#'))
      return fail(`must not have a fragment (got ${describe(url.hash || '#')})`);
    return url.protocol === 'tcp:' ? `tcp://${url.host}` : url.origin;
  });
