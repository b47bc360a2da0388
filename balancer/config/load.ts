import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { ConfigError, type ConfigIssue, FaultlineError } from '../errors.ts';
import { substituteEnv } from './env.ts';
import { buildConfig } from './normalize.ts';
import { rawConfigSchema } from './schema.ts';
import type { BalancerConfig } from './types.ts';

type Segment = string | number;
type Locate = (segments: Segment[]) => number | undefined;

export function formatPath(segments: readonly Segment[]): string {
  return segments.reduce<string>(
    (out, s) => (typeof s === 'number' ? `${out}[${s}]` : out ? `${out}.${s}` : String(s)),
    '',
  );
}

/**
 * Validates a config built in code (or parsed from text) and fills in every default.
 * All problems are reported together, each with its field path (and line, from text).
 */
export function normalizeConfig(
  raw: unknown,
  options: { file?: string; locate?: Locate } = {},
): BalancerConfig {
  const issues: { segments: Segment[]; message: string }[] = [];
  const parsed = rawConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) issues.push({ segments: i.path as Segment[], message: i.message });
    throw toError(issues, options);
  }
  const config = buildConfig(parsed.data, issues as never);
  if (issues.length > 0) throw toError(issues, options);
  return config;
}

function toError(
  issues: { segments: Segment[]; message: string }[],
  options: { file?: string; locate?: Locate },
) {
  const located: ConfigIssue[] = issues.map((i) => {
    const line = options.locate?.(i.segments);
    return { path: formatPath(i.segments), message: i.message, ...(line ? { line } : {}) };
  });
  located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return new ConfigError(options.file, located);
}

/** Parses YAML or JSON text (JSON is YAML), substitutes `${VAR}`, validates. */
export function parseConfigText(
  text: string,
  options: { file?: string; env?: NodeJS.ProcessEnv } = {},
): BalancerConfig {
  // `${VAR}` is swapped for a plain placeholder before parsing, so an unquoted reference inside a
  // flow mapping (`{ token: ${TOKEN} }`) is valid YAML; values go back in after parsing.
  const references: string[] = [];
  const masked = text.replace(/\$\{[^}\n]*\}/g, (ref) => `__faultline_env_${references.push(ref) - 1}__`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(masked, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as (typeof doc.errors)[number];
    throw new ConfigError(options.file, [
      {
        path: '',
        message: `not valid YAML/JSON: ${first.message.split('\n')[0]}`,
        line: lineOf(first.pos[0]),
      },
    ]);
  }
  if (doc.contents === null) {
    throw new ConfigError(options.file, [
      { path: '', message: 'the config is empty: it needs at least "pools"' },
    ]);
  }
  const env = options.env ?? process.env;
  const missing: ConfigIssue[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('__faultline_env_')) return;
      const restored = node.value.replace(
        /__faultline_env_(\d+)__/g,
        (_m, i: string) => references[Number(i)] ?? '',
      );
      node.value = substituteEnv(restored, env, ({ variable }) =>
        missing.push({
          path: '',
          message: `environment variable ${variable} is not set (use \${${variable}:-default} to allow it to be unset)`,
          line: lineOf(node.range?.[0]),
        }),
      );
    },
  });
  if (missing.length > 0) throw new ConfigError(options.file, missing, 'FL_CONFIG_ENV_MISSING');
  const locate: Locate = (segments) => {
    // The deepest node that exists along the path: a missing field points at its parent.
    for (let n = segments.length; n >= 0; n--) {
      const node = doc.getIn(segments.slice(0, n), true) as Node | undefined;
      if (node && (isScalar(node) || isMap(node) || isSeq(node))) {
        if (n < segments.length && isMap(node)) {
          const key = segments[n];
          const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
          if (pair && isScalar(pair.key)) return lineOf(pair.key.range?.[0]);
        }
        return lineOf(node.range?.[0]);
      }
    }
    return undefined;
  };
  return normalizeConfig(doc.toJS(), { ...(options.file ? { file: options.file } : {}), locate });
}

export async function loadConfigFile(path: string, env?: NodeJS.ProcessEnv): Promise<BalancerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : String(code ?? err);
    throw new FaultlineError('FL_CONFIG_UNREADABLE', `cannot read balancer config ${path}: ${why}`, {
      cause: err,
    });
  }
  return parseConfigText(text, { file: path, ...(env ? { env } : {}) });
}
