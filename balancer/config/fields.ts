import { z } from 'zod';
import { parseDuration } from '../duration.ts';

/** Field validators that return `undefined` for absent values and one human message otherwise. */

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

function field<T>(check: (v: unknown) => T | string): z.ZodType<T | undefined> {
  return z
    .any()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const result = check(v);
      if (typeof result === 'string' && result.startsWith('\u0000')) {
        ctx.addIssue({ code: 'custom', message: result.slice(1) });
        return z.NEVER;
      }
      return result as T;
    })
    .optional() as unknown as z.ZodType<T | undefined>;
}

const fail = (message: string) => `\u0000${message}`;

export const duration = () =>
  field<number>((v) => {
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
    return ms === undefined
      ? fail(`must be a duration such as 500ms, 2s, 1m, or milliseconds as a number (got ${describe(v)})`)
      : ms;
  });

export const int = (min: number, max: number) =>
  field<number>((v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? v
      : fail(`must be an integer from ${min} to ${max} (got ${describe(v)})`),
  );

export const ratio = () =>
  field<number>((v) =>
    typeof v === 'number' && v >= 0 && v <= 1 ? v : fail(`must be a number from 0 to 1 (got ${describe(v)})`),
  );

export const percent = () =>
  field<number>((v) =>
    typeof v === 'number' && v >= 0 && v <= 100
      ? v
      : fail(`must be a number from 0 to 100 (got ${describe(v)})`),
  );

export const bool = () =>
  field<boolean>((v) => (typeof v === 'boolean' ? v : fail(`must be true or false (got ${describe(v)})`)));

export const text = (rule?: { pattern: RegExp; says: string }) =>
  field<string>((v) => {
    if (typeof v !== 'string' || v === '') return fail(`must be a non-empty string (got ${describe(v)})`);
    if (rule && !rule.pattern.test(v)) return fail(`${rule.says} (got ${describe(v)})`);
    return v;
  });

export const oneOf = <T extends string>(values: readonly T[]) =>
  field<T>((v) =>
    typeof v === 'string' && (values as readonly string[]).includes(v)
      ? (v as T)
      : fail(`must be one of ${values.join(', ')} (got ${describe(v)})${suggest(v, values)}`),
  );

export const statusRange = () =>
  field<{ min: number; max: number }>((v) => {
    let min: number | undefined;
    let max: number | undefined;
    if (typeof v === 'number') min = max = v;
    else if (typeof v === 'string' && /^\d{3}(-\d{3})?$/.test(v)) [min, max = min] = v.split('-').map(Number);
    else if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number'))
      [min, max] = v as number[];
    const ok = min !== undefined && max !== undefined && Number.isInteger(min) && Number.isInteger(max);
    if (!ok || (min as number) < 100 || (max as number) > 599 || (min as number) > (max as number)) {
      return fail(
        `must be a status (200), a range "200-399" or [200, 399], within 100-599 (got ${describe(v)})`,
      );
    }
    return { min: min as number, max: max as number };
  });

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = current;
    }
  }
  return row[b.length] as number;
}

export function suggest(value: unknown, options: readonly string[]): string {
  if (typeof value !== 'string') return '';
  const best = options
    .map((o) => ({ o, d: distance(value.toLowerCase(), o.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(best.o.length / 3)) ? `; did you mean "${best.o}"?` : '';
}

/** A mapping with known fields; an unknown field is an error that suggests the closest known one. */
export function mapping<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z
    .looseObject(shape, { error: (iss) => `must be a mapping of fields (got ${describe(iss.input)})` })
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (!known.includes(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `unknown field "${key}"${suggest(key, known)} (known: ${known.join(', ')})`,
          });
        }
      }
    });
}
