import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, FaultlineError } from '../core/errors.ts';
import { locatedIssues, makeLocator } from '../core/validation/locate.ts';
import { balancerSettingsIssues } from './balancer-config.ts';
import { backendListSchema } from './stack-spec.ts';

const stackSchema = z.strictObject({
  backends: backendListSchema,
  proxies: z.boolean().default(true),
  /** `tcp`: line echo backends behind a tcp listener (as a drill's stack.protocol). */
  protocol: z.enum(['http', 'tcp']).default('http'),
  /** Raw balancer settings: `pool` (algorithm, health, retries, ...) and top-level ones (timeouts, ...). */
  balancer: z
    .strictObject({ pool: z.record(z.string(), z.unknown()).optional() })
    .catchall(z.unknown())
    .default({}),
});

/** The local stack as a file describes it: the backends, the proxies, the balancer's settings. */
export type StackConfig = z.output<typeof stackSchema>;

/** Parses a local stack file (YAML or JSON); every problem names the file, line and field. */
export function parseStackConfig(text: string, file = 'stack config'): StackConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as (typeof doc.errors)[number];
    throw new ConfigError(
      file,
      [
        {
          path: '',
          message: `not valid YAML/JSON: ${first.message.split('\n')[0]}`,
          line: lineCounter.linePos(first.pos[0]).line,
        },
      ],
      'FL_CONFIG_INVALID',
      'stack config',
    );
  }
  const parsed = stackSchema.safeParse(doc.toJS() ?? {});
  const locate = makeLocator(doc, lineCounter);
  if (parsed.success) {
    const { pool, ...settings } = parsed.data.balancer;
    const issues = balancerSettingsIssues(
      { backends: parsed.data.backends, settings, pool, protocol: parsed.data.protocol },
      { settings: 'balancer', pool: 'balancer.pool' },
    );
    if (issues.length === 0) return parsed.data;
    const located = issues.map((issue) => {
      const line = locate(parsePath(issue.path));
      return line ? { ...issue, line } : issue;
    });
    throw new ConfigError(file, located, 'FL_CONFIG_INVALID', 'stack config');
  }
  throw new ConfigError(
    file,
    locatedIssues(parsed.error.issues, locate),
    'FL_CONFIG_INVALID',
    'stack config',
  );
}

/** `balancer.pool.servers[1].weight` → ['balancer', 'pool', 'servers', 1, 'weight'] (formatPath's inverse). */
function parsePath(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    for (const [i, piece] of part.split(/\[(\d+)\]/).entries()) {
      if (piece !== '') segments.push(i % 2 === 1 ? Number(piece) : piece);
    }
  }
  return segments;
}

export async function loadStackConfig(file: string): Promise<StackConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new FaultlineError(
      'FL_CONFIG_UNREADABLE',
      `cannot read stack config ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      { cause: err },
    );
  }
  return parseStackConfig(text, file);
}
