import type { Sla } from '../sla/types.ts';

/** One line of a command's expected output, cram-style: exact text, or `... (re)` for a regex. */
export type ExpectedLine = { kind: 'text'; text: string } | { kind: 're'; pattern: RegExp; source: string };

/** A `$ command` of a transcript block, with the output and exit code the runbook says it gives. */
export interface TranscriptCommand {
  /** 1-based line of the `$` in the runbook file. */
  line: number;
  command: string;
  expected: ExpectedLine[];
  /** `[N]` after the output; 0 when not written. */
  exitCode: number;
}

/**
 * An executable fenced block. A `script` runs as a whole and must exit 0; a `transcript`
 * (lines starting `$ `) runs its commands in one shell, each checked against the output and
 * exit code written under it.
 */
export type StepBody =
  | { kind: 'script'; script: string }
  | { kind: 'transcript'; commands: TranscriptCommand[] };

export interface RunbookStep {
  name: string;
  /** 1-based line of the opening fence. */
  line: number;
  body: StepBody;
  /** One attempt may take this long (byexample's `+timeout`). Default 30 s. */
  timeoutMs: number;
  /** Retried until its expectations hold, for at most this long (an "eventually" step). */
  eventuallyMs?: number;
}

export type RunbookTarget = 'local' | 'compose';

export interface RunbookPlan {
  file: string;
  /** The file name without `.md`. */
  name: string;
  /** The first `#` heading, else the name. */
  title: string;
  /** The drill whose stack, load and fault the runbook is verified under. */
  fault: { drill: string; step?: string; line: number };
  /** The target the front matter names; `--target` overrides it. */
  target?: RunbookTarget;
  rtoMs: number;
  /** The line of `rto` in the front matter: where a blown RTO is reported. */
  rtoLine: number;
  /** Service counts as restored once all of these hold over `windowMs`. */
  restored: { conditions: Sla[]; windowMs: number };
  /** Must hold over the whole runbook, from the fault to the end of the last step. */
  throughout: Sla[];
  steps: RunbookStep[];
}
