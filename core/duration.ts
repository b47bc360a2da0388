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
