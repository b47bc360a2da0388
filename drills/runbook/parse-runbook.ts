import { basename } from 'node:path';
import MarkdownIt from 'markdown-it';
import { checkDuration } from '../../core/duration.ts';
import { ConfigError, type ConfigIssue } from '../../core/errors.ts';
import { NAME_PATTERN } from '../../core/validation/fields.ts';
import { suggest } from '../../core/validation/messages.ts';
import { parseFrontMatter, splitFrontMatter } from './front-matter.ts';
import { BlockProblem, isTranscript, parseTranscript } from './transcript.ts';
import type { RunbookPlan, RunbookStep } from './types.ts';

/** Fenced blocks in these languages are steps; any other block is part of the prose. */
export const STEP_LANGUAGES = ['sh', 'bash', 'shell', 'console'];
const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/** Runme's attribute for a block to leave out, and the options faultline reads. */
const ATTRIBUTES = ['name', 'timeout', 'eventually', 'excludeFromRunme'];

const markdown = new MarkdownIt();

/**
 * Parses a runbook: YAML front matter (what it is verified under), prose, and fenced shell
 * blocks (the steps). Every problem is reported with the file and line; all of them at once.
 */
export function parseRunbook(text: string, file: string): RunbookPlan {
  const normalized = text.replace(/\r\n/g, '\n');
  const issues: ConfigIssue[] = [];
  const split = splitFrontMatter(normalized);
  if (!split) {
    throw new ConfigError(
      file,
      [
        {
          path: 'front matter',
          line: 1,
          message: 'a runbook starts with YAML front matter between `---` lines (fault, rto, restored)',
        },
      ],
      'FL_RUNBOOK_INVALID',
      'runbook',
    );
  }
  const front = parseFrontMatter(split.yaml);
  if (!front.ok) issues.push(...front.issues);

  const body = normalized.split('\n').slice(split.bodyStart).join('\n');
  const tokens = markdown.parse(body, {});
  const steps: RunbookStep[] = [];
  const names = new Map<string, number>();
  let title: string | undefined;
  tokens.forEach((token, i) => {
    if (title === undefined && token.type === 'heading_open' && token.tag === 'h1') {
      title = tokens[i + 1]?.content.trim() || undefined;
    }
    if (token.type !== 'fence' || !token.map) return;
    const line = split.bodyStart + token.map[0] + 1;
    try {
      const step = stepOf(token.info, token.content, line, steps.length + 1);
      if (!step) return;
      const seen = names.get(step.name);
      if (seen !== undefined)
        throw new BlockProblem(line, `step name "${step.name}" is used twice (first at line ${seen})`);
      names.set(step.name, line);
      steps.push(step);
    } catch (err) {
      if (!(err instanceof BlockProblem)) throw err;
      issues.push({ path: 'step', line: err.line, message: err.message });
    }
  });
  if (steps.length === 0 && issues.length === 0) {
    issues.push({
      path: 'steps',
      message: `no steps: a runbook needs at least one fenced block in ${STEP_LANGUAGES.join(', ')}`,
    });
  }
  if (issues.length > 0 || !front.ok) throw new ConfigError(file, issues, 'FL_RUNBOOK_INVALID', 'runbook');

  const fm = front.value;
  const fault = typeof fm.fault === 'string' ? { drill: fm.fault } : fm.fault;
  const name = basename(file).replace(/\.md$/i, '');
  return {
    file,
    name,
    title: fm.title ?? title ?? name,
    fault: { ...fault, line: front.lineOf('fault') ?? 1 },
    ...(fm.target ? { target: fm.target } : {}),
    rtoMs: fm.rto,
    rtoLine: front.lineOf('rto') ?? 1,
    restored: {
      conditions: fm.restored.when,
      windowMs: fm.restored.for,
    },
    throughout: fm.throughout,
    steps,
  };
}

function stepOf(info: string, content: string, line: number, index: number): RunbookStep | undefined {
  const trimmed = info.trim();
  const space = trimmed.search(/\s/);
  const language = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  if (!STEP_LANGUAGES.includes(language)) return undefined;
  const attributes = attributesOf(space === -1 ? '' : trimmed.slice(space).trim(), line);
  if (attributes.excludeFromRunme === true) return undefined;
  const name = attributes.name ?? `step-${index}`;
  const body = isTranscript(content)
    ? { kind: 'transcript' as const, commands: parseTranscript(content, line + 1) }
    : { kind: 'script' as const, script: content };
  if (body.kind === 'script' && content.trim() === '') throw new BlockProblem(line, 'an empty step');
  return {
    name,
    line,
    body,
    timeoutMs: attributes.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    ...(attributes.eventuallyMs !== undefined ? { eventuallyMs: attributes.eventuallyMs } : {}),
  };
}

interface Attributes {
  name?: string;
  timeoutMs?: number;
  eventuallyMs?: number;
  excludeFromRunme?: boolean;
}

/** Runme's fenced-block attributes: a JSON object after the language, `sh {"name":"restart"}`. */
function attributesOf(text: string, line: number): Attributes {
  if (text === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BlockProblem(
      line,
      `block attributes must be a JSON object as Runme writes them, e.g. {"name":"restart-app1","timeout":"20s"} (got ${text})`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BlockProblem(line, `block attributes must be a JSON object (got ${text})`);
  }
  const out: Attributes = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!ATTRIBUTES.includes(key)) {
      throw new BlockProblem(
        line,
        `unknown block attribute "${key}"${suggest(key, ATTRIBUTES)} (known: ${ATTRIBUTES.join(', ')})`,
      );
    }
    if (key === 'name') {
      if (typeof value !== 'string' || !NAME_PATTERN.test(value))
        throw new BlockProblem(
          line,
          `"name" may contain only letters, digits, "_", "." and "-" (got ${JSON.stringify(value)})`,
        );
      out.name = value;
    } else if (key === 'excludeFromRunme') {
      if (typeof value !== 'boolean')
        throw new BlockProblem(line, '"excludeFromRunme" must be true or false');
      out.excludeFromRunme = value;
    } else {
      const checked = checkDuration(value, 1);
      if ('problem' in checked) throw new BlockProblem(line, `"${key}" ${checked.problem}`);
      if (key === 'timeout') out.timeoutMs = checked.ms;
      else out.eventuallyMs = checked.ms;
    }
  }
  return out;
}
