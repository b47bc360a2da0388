import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue, FaultlineError } from '../../core/errors.ts';
import { makeLocator } from '../../core/validation/locate.ts';
import { formatPath } from '../../core/validation/messages.ts';
import { maskEnvReferences, substituteDocument } from './env.ts';
import { validateConfig } from './normalize.ts';
import type { BalancerConfig } from './types.ts';

const YAML_REASONS: Partial<Record<string, string>> = {
  MULTIPLE_DOCS: 'the file holds more than one YAML document ("---"); a config is one document',
  DUPLICATE_KEY: 'a key appears twice in the same mapping',
};

/**
 * Parses YAML or JSON text (JSON is parsed as YAML, so its issues get line numbers too),
 * substitutes `${VAR}` references from `env` (default: process.env), validates, fills defaults.
 */
export function parseConfigText(
  text: string,
  options: { file?: string; env?: NodeJS.ProcessEnv } = {},
): BalancerConfig {
  const file = options.file;
  const { masked, references } = maskEnvReferences(text);
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(masked, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  } catch (err) {
    // The parser reports most problems in doc.errors; a few (a merge key on a non-mapping) throw.
    throw new ConfigError(file, [{ path: '', message: `not valid YAML/JSON: ${(err as Error).message}` }]);
  }
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;

  if (doc.errors.length > 0) {
    const seen = new Set<number | undefined>();
    const issues: ConfigIssue[] = [];
    for (const error of doc.errors) {
      const line = lineOf(error.pos[0]);
      if (seen.has(line)) continue;
      seen.add(line);
      const reason =
        YAML_REASONS[error.code] ??
        (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      issues.push({ path: '', message: `not valid YAML/JSON: ${reason}`, ...(line ? { line } : {}) });
    }
    throw new ConfigError(file, issues);
  }
  if (doc.contents === null) {
    throw new ConfigError(file, [
      {
        path: '',
        message:
          'the config is empty: it needs at least "pools", e.g. pools: { web: { servers: [{ name: app1, url: "http://127.0.0.1:3001" }] } }',
      },
    ]);
  }

  const envIssues = substituteDocument(doc, references, options.env ?? process.env);
  if (envIssues.length > 0) {
    const issues = envIssues.map(
      (i): ConfigIssue => ({ path: formatPath(i.segments), message: i.message, line: lineOf(i.offset) }),
    );
    const missing = envIssues.some((i) => i.missing);
    throw new ConfigError(file, issues, missing ? 'FL_CONFIG_ENV_MISSING' : 'FL_CONFIG_INVALID');
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot be read: ${(err as Error).message}` }]);
  }
  return validateConfig(raw, { ...(file ? { file } : {}), locate: makeLocator(doc, lineCounter) });
}

const OS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

/** Reads and parses a YAML or JSON config file. */
export async function loadConfigFile(path: string, env?: NodeJS.ProcessEnv): Promise<BalancerConfig> {
  return (await loadConfigSource(path, env)).config;
}

/** The config file's text with its parsed config: a cluster's workers get the same text. */
export async function loadConfigSource(
  path: string,
  env?: NodeJS.ProcessEnv,
): Promise<{ text: string; config: BalancerConfig }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    const why = (code && OS_REASONS[code]) ?? message;
    throw new FaultlineError(
      'FL_CONFIG_UNREADABLE',
      `cannot read balancer config ${path}: ${why}${code ? ` (${code})` : ''}`,
      { cause: err },
    );
  }
  return { text, config: parseConfigText(text, { file: path, ...(env ? { env } : {}) }) };
}
