import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../../core/errors.ts';
import type { Locate } from '../../core/validation/locate.ts';
import { formatPath, issueMessage, type Segment } from '../../core/validation/messages.ts';
import { buildConfig } from './build-config.ts';
import { type ParsedConfig, rawConfigSchema } from './schema.ts';
import type { BalancerConfig } from './types.ts';

interface Issue {
  segments: Segment[];
  message: string;
}

/**
 * Validates a config (built in code, or parsed from text) and fills in every default.
 * Throws one ConfigError listing every problem, each with its field path (and line, from text).
 */
export function normalizeConfig(raw: unknown, options: { file?: string } = {}): BalancerConfig {
  return validateConfig(raw, options);
}

/** `normalizeConfig` with a locator that gives each issue its line. */
export function validateConfig(raw: unknown, options: { file?: string; locate?: Locate }): BalancerConfig {
  const cycle = findCycle(raw, []);
  if (cycle) {
    const issue = {
      segments: cycle,
      message: 'refers to itself (an alias inside its own anchor); a config cannot be cyclic',
    };
    throw new ConfigError(options.file, locateAll([issue], options.locate));
  }
  const { parsed, issues: schemaIssues } = checkShape(raw);
  const isUnder = (path: Segment[], prefix: Segment[]) => prefix.every((s, i) => path[i] === s);
  const ruleIssues: Issue[] = [];
  const config = parsed
    ? buildConfig(parsed, {
        problem: (segments, message) => ruleIssues.push({ segments, message }),
        broken: (segments) => schemaIssues.some((i) => isUnder(i.segments, segments)),
        rejected: (segments) => schemaIssues.some((i) => formatPath(i.segments) === formatPath(segments)),
        baseDir: options.file ? dirname(resolve(options.file)) : process.cwd(),
      })
    : undefined;
  // A rule about a field the schema rejected (and dropped) would only repeat it, or mislead.
  const issues = [
    ...schemaIssues,
    ...ruleIssues.filter((r) => !schemaIssues.some((s) => isUnder(r.segments, s.segments))),
  ];
  if (config && issues.length === 0) return config;
  throw new ConfigError(options.file, locateAll(issues, options.locate));
}

const MAX_REPAIR_ROUNDS = 5;

/**
 * Runs the schema. A value it rejects is reported and then dropped (its default takes its place)
 * and the schema runs again, so that the cross-field rules can still run and every problem of
 * a config is reported at once, not one round of fixes at a time.
 */
function checkShape(raw: unknown): { parsed: ParsedConfig | undefined; issues: Issue[] } {
  const issues: Issue[] = [];
  const known = new Set<string>();
  let input = raw;
  for (let round = 0; round < MAX_REPAIR_ROUNDS; round++) {
    const result = rawConfigSchema.safeParse(input, { reportInput: true });
    if (result.success) return { parsed: result.data, issues };
    if (round === 0) input = clonePlain(raw);
    let repaired = false;
    for (const zodIssue of result.error.issues) {
      const segments = zodIssue.path.filter((s): s is Segment => typeof s !== 'symbol');
      const message = issueMessage(zodIssue);
      const key = `${formatPath(segments)}\n${message}`;
      if (!known.has(key)) {
        known.add(key);
        issues.push({ segments, message });
      }
      repaired = drop(input, segments) || repaired;
    }
    if (!repaired) break;
  }
  return { parsed: undefined, issues };
}

/** A mapping from the file or from code; not an array, a Uint8Array (`!!binary`), a Date or a Map. */
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** Removes the value at `segments`; a list item or a pool becomes `{}` so that indexes and names stay. */
function drop(root: unknown, segments: Segment[]): boolean {
  if (segments.length === 0) return false;
  let parent = root;
  for (const s of segments.slice(0, -1)) {
    if (!isPlainObject(parent) && !Array.isArray(parent)) return false;
    parent = (parent as Record<Segment, unknown>)[s];
  }
  const last = segments[segments.length - 1] as Segment;
  if (Array.isArray(parent)) {
    if (typeof last !== 'number' || last >= parent.length) return false;
    parent[last] = {};
    return true;
  }
  if (!isPlainObject(parent) || !(last in parent)) return false;
  if (segments.length === 2 && segments[0] === 'pools') parent[last] = {};
  else delete parent[last];
  return true;
}

/** The path of the first value that contains itself, or undefined for a tree. */
function findCycle(value: unknown, path: Segment[], ancestors = new Set<unknown>()): Segment[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (ancestors.has(value)) return path;
  ancestors.add(value);
  const entries: Array<[Segment, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : isPlainObject(value)
      ? Object.entries(value)
      : [];
  for (const [key, child] of entries) {
    const found = findCycle(child, [...path, key], ancestors);
    if (found) return found;
  }
  ancestors.delete(value);
  return undefined;
}

function clonePlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clonePlain);
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clonePlain(v)]));
  }
  return value;
}

function locateAll(issues: Issue[], locate: Locate | undefined): ConfigIssue[] {
  const located = issues.map((i): ConfigIssue => {
    const line = locate?.(i.segments);
    return { path: formatPath(i.segments), message: i.message, ...(line ? { line } : {}) };
  });
  // Document order; issues without a line (a missing top-level field) first.
  return located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
