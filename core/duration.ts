import { describe } from './validation/messages.ts';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses `250ms`, `1.5s`, `2m`, `1h` (or a bare number of milliseconds) into milliseconds. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const match = DURATION.exec(input.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Number(amount) * (UNITS_MS[unit as string] ?? Number.NaN);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(3)}s`;
  return `${+(ms / 60_000).toFixed(2)}m`;
}

/** setTimeout's limit: a longer delay silently fires after 1ms. */
export const MAX_DURATION_MS = 2_147_483_647;

/** What every duration a user writes may look like (config, drill files, CLI flags, fault params). */
export const DURATION_RULE = 'a duration such as 250ms, 1.5s, 2m, 1h, or whole milliseconds as a number';

/**
 * The one rule for a duration a user wrote: a unit string or whole milliseconds, at least `min`,
 * at most 24 days, rounded to whole milliseconds. Returns the problem as a message otherwise.
 */
export function checkDuration(input: unknown, min = 0): { ms: number } | { problem: string } {
  const ms =
    typeof input === 'string' || (typeof input === 'number' && Number.isInteger(input))
      ? parseDuration(input)
      : undefined;
  const got = describe(input);
  if (ms === undefined) return { problem: `must be ${DURATION_RULE} (got ${got})` };
  if (ms < min) return { problem: `must be at least ${formatDuration(min)} (got ${got})` };
  if (ms > MAX_DURATION_MS) return { problem: `must be at most 24 days (got ${got})` };
  return { ms: Math.round(ms) };
}
