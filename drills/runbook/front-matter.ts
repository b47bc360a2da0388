import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { ConfigIssue } from '../../core/errors.ts';
import { durationField, nameField } from '../../core/validation/fields.ts';
import { locatedIssues, makeLocator } from '../../core/validation/locate.ts';
import { parseSla } from '../sla/index.ts';
import type { Sla } from '../sla/types.ts';

const condition = z.string().transform((text, ctx): Sla => {
  try {
    const sla = parseSla(text);
    if (sla.window !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" names a window; a restored condition is judged over \`restored.for\`, so write it without one`,
      });
      return z.NEVER;
    }
    return sla;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const frontMatterSchema = z.strictObject({
  /** A built-in drill's name or a drill file's path (relative to the runbook). */
  fault: z.union(
    [z.string().min(1), z.strictObject({ drill: z.string().min(1), step: nameField().optional() })],
    {
      error: (issue) =>
        issue.input === undefined
          ? 'is required: the drill whose fault the runbook must recover from, e.g. `fault: primary-crash`'
          : 'must be a drill name or file, or { drill, step }',
    },
  ),
  target: z.enum(['local', 'compose']).optional(),
  rto: durationField(1),
  restored: z.strictObject({
    when: z.preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      z
        .array(condition, {
          error: 'must be a condition or a list of them, e.g. [error_rate==0, served_by(app1)>0]',
        })
        .min(1, 'needs at least one condition'),
    ),
    for: durationField(100).default(2000),
  }),
  /** Conditions over the whole runbook, fault to last step (`errors==0` for a deploy). */
  throughout: z
    .preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      z.array(condition, { error: 'must be a condition or a list of them, e.g. [errors==0]' }),
    )
    .default([]),
  title: z.string().min(1).optional(),
});

export type FrontMatter = z.output<typeof frontMatterSchema>;

/** The YAML between the opening `---` and the next `---`, and the line the body starts on. */
export function splitFrontMatter(text: string): { yaml: string; bodyStart: number } | undefined {
  const lines = text.split('\n');
  if (lines[0]?.trimEnd() !== '---') return undefined;
  const end = lines.findIndex((line, i) => i > 0 && (line.trimEnd() === '---' || line.trimEnd() === '...'));
  if (end === -1) return undefined;
  return { yaml: lines.slice(1, end).join('\n'), bodyStart: end + 1 };
}

/**
 * Validates the front matter; issues carry file lines (the YAML starts on line 2).
 * Returns the parsed fields and the line of each, or the issues.
 */
export function parseFrontMatter(
  yaml: string,
):
  | { ok: true; value: FrontMatter; lineOf: (field: string) => number | undefined }
  | { ok: false; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as (typeof doc.errors)[number];
    const line = lineCounter.linePos(first.pos[0]).line + 1;
    return {
      ok: false,
      issues: [{ path: 'front matter', message: `not valid YAML: ${first.message.split('\n')[0]}`, line }],
    };
  }
  const locate = makeLocator(doc, lineCounter);
  const fileLine = (segments: readonly (string | number)[]) => {
    const line = locate(segments);
    return line === undefined ? undefined : line + 1;
  };
  const parsed = frontMatterSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    return { ok: false, issues: locatedIssues(parsed.error.issues, fileLine) };
  }
  return { ok: true, value: parsed.data, lineOf: (field) => fileLine(field.split('.')) };
}
