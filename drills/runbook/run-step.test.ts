import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning } from '../../core/process/identity.ts';
import { parseRunbook } from './parse-runbook.ts';
import { runStep } from './run-step.ts';
import type { RunbookStep } from './types.ts';

const FRONT = '---\nfault: primary-crash\nrto: 30s\nrestored: { when: errors==0 }\n---\n';
const dir = mkdtempSync(join(tmpdir(), 'runbook-steps-'));
const env = { ...process.env, WORK: dir };
const never = new AbortController().signal;

/** The one step of a runbook made of `block` (its fence opens on line 6). */
function step(block: string): RunbookStep {
  const plan = parseRunbook(`${FRONT}${block}`, 'r.md');
  return plan.steps[0] as RunbookStep;
}

describe('runStep', () => {
  it('passes a script that exits 0 and a transcript whose output and exit codes match', async () => {
    expect(await runStep(step('```sh\ntrue\n```\n'), env, never)).toMatchObject({ ok: true, attempts: 1 });
    const transcript = step(
      '```console\n$ cd "$WORK" && NAME=app1\n$ echo "$NAME in $(basename "$PWD")"\napp1 in runbook-steps-\\w+ (re)\n$ printf "no newline"\nno newline\n$ ls /nonexistent >/dev/null 2>&1\n[2]\n$ echo to stderr >&2\nto stderr\n```\n',
    );
    const result = await runStep(transcript, env, never);
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
  });

  it('names the line and the kind of each failure', async () => {
    const script = await runStep(step('```sh\necho boom; exit 3\n```\n'), env, never);
    expect(script).toMatchObject({ ok: false, failure: { kind: 'exit-code', line: 6 } });
    expect(script.ok || script.failure.message).toContain('exited 3: boom');

    const changed = await runStep(step('```console\n$ echo ok\nok\n$ echo v2\nv1\n```\n'), env, never);
    expect(changed).toMatchObject({ ok: false, failure: { kind: 'output-changed', line: 9 } });
    expect(changed.ok || changed.failure.message).toBe('`echo v2`: output line 1: expected "v1", got "v2"');

    const gone = await runStep(
      step('```console\n$ faultline-no-such-tool --check\nall good\n```\n'),
      env,
      never,
    );
    expect(gone).toMatchObject({
      ok: false,
      failure: { kind: 'command-not-found', line: 7, message: 'command not found: faultline-no-such-tool' },
    });

    const code = await runStep(step('```console\n$ false\n```\n'), env, never);
    expect(code).toMatchObject({
      ok: false,
      failure: { kind: 'exit-code', line: 7, message: '`false` exited 1, the runbook expects 0' },
    });

    const exited = await runStep(step('```console\n$ exit 4\n$ echo after\nafter\n```\n'), env, never);
    expect(exited).toMatchObject({ ok: false, failure: { kind: 'exit-code', line: 7 } });
  });

  it('times out a hanging command at its line and ends everything it started', async () => {
    const pidFile = join(dir, 'sleeper.pid');
    const hanging = step(
      `\`\`\`console {"timeout":"500ms"}\n$ echo started\nstarted\n$ sleep 30 & echo $! > ${pidFile}; wait\n\`\`\`\n`,
    );
    const started = Date.now();
    const result = await runStep(hanging, env, never);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ ok: false, failure: { kind: 'timed-out', line: 9 } });
    expect(existsSync(pidFile)).toBe(true);
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    await expect.poll(() => isRunning(sleeper), { timeout: 5000 }).toBe(false);
  });

  it('retries an eventually step until it passes, and reports the last failure when it never does', async () => {
    const counter = join(dir, 'count');
    const flaky = step(
      `\`\`\`sh {"eventually":"10s"}\nn=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; [ "$n" -ge 2 ]\n\`\`\`\n`,
    );
    expect(await runStep(flaky, env, never)).toMatchObject({ ok: true, attempts: 3 });

    const stuck = step('```console {"eventually":"2500ms"}\n$ echo down\nup\n```\n');
    const result = await runStep(stuck, env, never);
    expect(result.ok).toBe(false);
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(result.ok || result.failure.message).toMatch(
      /expected "up", got "down" \(still, after \d+ attempts over/,
    );
  });
});
