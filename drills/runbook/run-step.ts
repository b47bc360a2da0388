import { randomBytes } from 'node:crypto';
import { $ } from 'zx';
import { formatDuration } from '../../core/duration.ts';
import { sleep } from '../runner/clock.ts';
import { outputMismatch } from './transcript.ts';
import type { RunbookStep, TranscriptCommand } from './types.ts';

/** Why a step did not do what the runbook says, at which line of the runbook. */
export type StepFailureKind = 'exit-code' | 'output-changed' | 'command-not-found' | 'timed-out';

export interface StepFailure {
  kind: StepFailureKind;
  line: number;
  message: string;
}

export type StepResult =
  | { ok: true; attempts: number; output: string }
  | { ok: false; attempts: number; output: string; failure: StepFailure };

const MAX_OUTPUT = 4000;
const RETRY_EVERY_MS = 1000;
const NOT_FOUND = /: ([^:\n]+): command not found$/m;

/**
 * Runs one runbook step with bash (through zx), in a process group of its own so a timeout
 * ends everything it started. An `eventually` step is run again, once a second, until it
 * passes or its time is up; the last attempt's failure is the one reported.
 */
export async function runStep(
  step: RunbookStep,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<StepResult> {
  const began = Date.now();
  const deadline = step.eventuallyMs === undefined ? undefined : began + step.eventuallyMs;
  let attempts = 0;
  for (;;) {
    attempts++;
    const started = Date.now();
    const outcome = await attempt(step, env, signal);
    if (outcome.failure === undefined) return { ok: true, attempts, output: outcome.output };
    const retry = deadline !== undefined && Date.now() + RETRY_EVERY_MS < deadline && !signal.aborted;
    if (!retry) {
      const failure =
        deadline === undefined
          ? outcome.failure
          : {
              ...outcome.failure,
              message: `${outcome.failure.message} (still, after ${attempts} attempts over ${formatDuration(Date.now() - began)})`,
            };
      return { ok: false, attempts, output: outcome.output, failure };
    }
    await sleep(Math.max(0, RETRY_EVERY_MS - (Date.now() - started)), signal).catch(() => {});
  }
}

interface Attempt {
  output: string;
  failure?: StepFailure;
}

async function attempt(step: RunbookStep, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<Attempt> {
  const salt = `FAULTLINE-${randomBytes(6).toString('hex')}`;
  const commands = step.body.kind === 'transcript' ? step.body.commands : [];
  const script =
    step.body.kind === 'script'
      ? step.body.script
      : // cram's way: one shell, a marker with the exit code after each command.
        `exec 2>&1\n${commands.map((c, i) => `${c.command}\nprintf '\\n%s %s %s\\n' ${salt} $? ${i}`).join('\n')}\n`;
  const run = await bash(script, env, step.timeoutMs, signal);
  const output = run.output.slice(-MAX_OUTPUT);
  if (step.body.kind === 'script') {
    if (run.timedOut) {
      return {
        output,
        failure: {
          kind: 'timed-out',
          line: step.line,
          message: `step ${step.name} did not finish within ${formatDuration(step.timeoutMs)}`,
        },
      };
    }
    if (run.exitCode !== 0)
      return { output, failure: exitFailure(step.line, `step ${step.name}`, run.exitCode, run.output) };
    return { output };
  }
  return { output, ...checkTranscript(step, commands, run, salt) };
}

function checkTranscript(
  step: RunbookStep,
  commands: readonly TranscriptCommand[],
  run: BashRun,
  salt: string,
): { failure?: StepFailure } {
  const segments = splitBySalt(run.output, salt);
  for (const [i, command] of commands.entries()) {
    const segment = segments[i];
    if (segment === undefined) {
      if (run.timedOut) {
        return {
          failure: {
            kind: 'timed-out',
            line: command.line,
            message: `\`${command.command}\` did not finish within ${formatDuration(step.timeoutMs)}`,
          },
        };
      }
      return {
        failure: exitFailure(
          command.line,
          `\`${command.command}\` ended the shell:`,
          run.exitCode,
          run.output,
        ),
      };
    }
    const notFound =
      segment.exitCode === 127 && command.exitCode !== 127 ? NOT_FOUND.exec(segment.output) : null;
    if (notFound) {
      return {
        failure: {
          kind: 'command-not-found',
          line: command.line,
          message: `command not found: ${notFound[1]}`,
        },
      };
    }
    const mismatch = outputMismatch(command.expected, segment.output);
    if (mismatch) {
      return {
        failure: {
          kind: 'output-changed',
          line: command.line,
          message: `\`${command.command}\`: ${mismatch}`,
        },
      };
    }
    if (segment.exitCode !== command.exitCode) {
      return {
        failure: {
          kind: 'exit-code',
          line: command.line,
          message: `\`${command.command}\` exited ${segment.exitCode}, the runbook expects ${command.exitCode}`,
        },
      };
    }
  }
  return {};
}

function exitFailure(line: number, what: string, exitCode: number | null, output: string): StepFailure {
  const notFound = exitCode === 127 ? NOT_FOUND.exec(output) : null;
  if (notFound) return { kind: 'command-not-found', line, message: `command not found: ${notFound[1]}` };
  const tail = output.trim().split('\n').slice(-3).join(' | ');
  return {
    kind: 'exit-code',
    line,
    message: `${what} exited ${exitCode ?? 'on a signal'}${tail ? `: ${tail}` : ''}`,
  };
}

/** Each command's output and exit code, from the markers the script printed after each. */
function splitBySalt(output: string, salt: string): { output: string; exitCode: number }[] {
  const segments: { output: string; exitCode: number }[] = [];
  let rest = output;
  for (;;) {
    const at = rest.indexOf(`\n${salt} `);
    if (at === -1) return segments;
    const end = rest.indexOf('\n', at + 1);
    const marker = rest.slice(at + 1, end === -1 ? undefined : end).split(' ');
    segments.push({ output: rest.slice(0, at), exitCode: Number(marker[1]) });
    rest = end === -1 ? '' : rest.slice(end + 1);
  }
}

interface BashRun {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
}

async function bash(
  script: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<BashRun> {
  const shell = $({
    nothrow: true,
    quiet: true,
    detached: true,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })`bash -c ${script}`;
  let timedOut = false;
  const killGroup = () => {
    const pid = shell.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);
  signal.addEventListener('abort', killGroup, { once: true });
  try {
    const result = await shell;
    // A script's stderr comes after its stdout here; a transcript sends both to one stream.
    return { output: `${result.stdout}${result.stderr}`, exitCode: result.exitCode, timedOut };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', killGroup);
  }
}
