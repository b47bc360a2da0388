import type { z } from 'zod';

/** One step of a field path: a mapping key or a list index. */
export type Segment = string | number;

/** `['pools', 'web', 'servers', 1, 'weight']` → `pools.web.servers[1].weight`. */
export function formatPath(segments: readonly Segment[]): string {
  return segments.reduce<string>(
    (out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${s}` : s),
    '',
  );
}

/** A value as a message shows it after "got": strings quoted, containers named. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string' && value.length > 60) return JSON.stringify(`${value.slice(0, 57)}...`);
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

/** `; did you mean "listen"?` for a near miss among `options`, else an empty string. */
export function suggest(value: unknown, options: readonly string[]): string {
  if (typeof value !== 'string' || value === '') return '';
  let best: { option: string; d: number } | undefined;
  for (const option of options) {
    const d = distance(value.toLowerCase(), option.toLowerCase());
    if (!best || d < best.d) best = { option, d };
  }
  if (!best || best.option === value) return '';
  return best.d <= Math.max(2, Math.floor(best.option.length / 3)) ? `; did you mean "${best.option}"?` : '';
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping of fields',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/**
 * The human text for one zod issue. The schema's own validators already produce human text
 * (custom issues); this also translates zod's built-in issue kinds, so no raw zod message or
 * JSON ever reaches a user.
 */
export function issueMessage(issue: z.core.$ZodIssue): string {
  // Our own messages (custom issues, and `error` options in the schema) start in lower case;
  // zod's built-in ones ("Invalid input: ...") are translated.
  if (issue.code === 'custom' || /^[a-z]/.test(issue.message)) return issue.message;
  const got = 'input' in issue ? ` (got ${describe(issue.input)})` : '';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}${got}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}${got}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${got}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${got}`;
    case 'invalid_format':
      return `is not a valid ${issue.format}${got}`;
    case 'invalid_key':
      return `has an invalid key${got}`;
    default:
      return `is not valid${got}`;
  }
}
