import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.ts';
import { parseRunbook } from './parse-runbook.ts';
import { outputMismatch, parseTranscript } from './transcript.ts';

const FRONT = `---
fault: primary-crash
target: local
rto: 30s
restored:
  when: [error_rate==0, served_by(app1)>0]
  for: 2s
---
`;

function problems(text: string): string[] {
  try {
    parseRunbook(text, 'runbooks/x.md');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('FL_RUNBOOK_INVALID');
    return (err as ConfigError).issues.map((i) => `${i.line ?? '-'} ${i.path}: ${i.message}`);
  }
  throw new Error('expected the runbook to be refused');
}

describe('parseRunbook', () => {
  it('reads front matter, the title, script and transcript steps with their file lines', () => {
    const text = `${FRONT}
# A primary is down

Check what the balancer sees first.

\`\`\`sh {"name":"look","timeout":"5s"}
$ echo state
state
$ printf 'a\\nb\\n'
a
b (re)
$ false
[1]
\`\`\`

Then restart it.

\`\`\`bash {"name":"restart","eventually":"20s"}
$FAULTLINE_STACK restart app1
\`\`\`

\`\`\`json
{"this": "is prose"}
\`\`\`

\`\`\`sh {"excludeFromRunme":true}
echo never run
\`\`\`

\`\`\`console
$ echo unnamed
unnamed
\`\`\`
`;
    const plan = parseRunbook(text, 'runbooks/primary-down.md');
    expect(plan).toMatchObject({
      name: 'primary-down',
      title: 'A primary is down',
      fault: { drill: 'primary-crash', line: 2 },
      target: 'local',
      rtoMs: 30_000,
      rtoLine: 4,
      restored: { windowMs: 2000 },
    });
    expect(plan.restored.conditions.map((c) => c.source)).toEqual(['error_rate==0', 'served_by(app1)>0']);
    expect(plan.steps.map((s) => [s.name, s.line, s.body.kind, s.timeoutMs, s.eventuallyMs])).toEqual([
      ['look', 14, 'transcript', 5000, undefined],
      ['restart', 26, 'script', 30_000, 20_000],
      ['step-3', 38, 'transcript', 30_000, undefined],
    ]);
    const look = plan.steps[0]?.body;
    if (look?.kind !== 'transcript') throw new Error('not a transcript');
    expect(look.commands.map((c) => [c.line, c.command, c.exitCode, c.expected.length])).toEqual([
      [15, 'echo state', 0, 1],
      [17, "printf 'a\\nb\\n'", 0, 2],
      [20, 'false', 1, 0],
    ]);
  });

  it('takes { drill, step } and a single condition', () => {
    const plan = parseRunbook(
      `---\nfault: { drill: ./slow.drill.ts, step: slow }\nrto: 1m\nrestored:\n  when: p(99)<250ms\n---\n\`\`\`sh\ntrue\n\`\`\`\n`,
      'r.md',
    );
    expect(plan.fault).toMatchObject({ drill: './slow.drill.ts', step: 'slow' });
    expect(plan.restored.windowMs).toBe(2000);
    expect(plan.rtoMs).toBe(60_000);
    expect(plan.title).toBe('r');
  });

  it.each([
    [
      'no front matter',
      '# Title\n```sh\ntrue\n```\n',
      ['1 front matter: a runbook starts with YAML front matter'],
    ],
    ['broken YAML', '---\nfault: [a\n---\n```sh\ntrue\n```\n', ['front matter: not valid YAML']],
    [
      'no fault',
      '---\nrto: 1s\nrestored: { when: errors==0 }\n---\n```sh\ntrue\n```\n',
      ['- fault: is required'],
    ],
    [
      'bad rto',
      '---\nfault: x\nrto: soon\nrestored: { when: errors==0 }\n---\n```sh\ntrue\n```\n',
      ['3 rto: must be a duration'],
    ],
    [
      'bad condition',
      '---\nfault: x\nrto: 1s\nrestored:\n  when: [errors==0, p(99)<<1]\n---\n```sh\ntrue\n```\n',
      ['5 restored.when[1]:'],
    ],
    [
      'condition with a window',
      '---\nfault: x\nrto: 1s\nrestored: { when: errors==0 overall }\n---\n```sh\ntrue\n```\n',
      ['4 restored.when[0]: "errors==0 overall" names a window'],
    ],
    [
      'unknown field',
      '---\nfault: x\nrto: 1s\nrtO: 2s\nrestored: { when: errors==0 }\n---\n```sh\ntrue\n```\n',
      ['unknown field "rtO"'],
    ],
    [
      'bad target',
      '---\nfault: x\ntarget: k8s\nrto: 1s\nrestored: { when: errors==0 }\n---\n```sh\ntrue\n```\n',
      ['3 target: must be one of local, compose'],
    ],
    ['no steps', `${FRONT}# Only prose\n`, ['- steps: no steps']],
    [
      'attributes not JSON',
      `${FRONT}\`\`\`sh {name: x}\ntrue\n\`\`\`\n`,
      ['9 step: block attributes must be a JSON object'],
    ],
    [
      'unknown attribute',
      `${FRONT}\`\`\`sh {"nmae":"x"}\ntrue\n\`\`\`\n`,
      ['9 step: unknown block attribute "nmae"; did you mean "name"?'],
    ],
    [
      'bad timeout',
      `${FRONT}\`\`\`sh {"timeout":"forever"}\ntrue\n\`\`\`\n`,
      ['9 step: "timeout" must be a duration'],
    ],
    [
      'duplicate names',
      `${FRONT}\`\`\`sh {"name":"a"}\ntrue\n\`\`\`\n\`\`\`sh {"name":"a"}\ntrue\n\`\`\`\n`,
      ['12 step: step name "a" is used twice (first at line 9)'],
    ],
    [
      'output before a command',
      `${FRONT}\`\`\`console\nhello\n$ echo hello\n\`\`\`\n`,
      ['10 step: output before the first `$ command` line'],
    ],
    [
      'bad regex',
      `${FRONT}\`\`\`sh\n$ echo x\n([a- (re)\n\`\`\`\n`,
      ['11 step: not a valid regular expression'],
    ],
    ['empty step', `${FRONT}\`\`\`sh\n\`\`\`\n`, ['9 step: an empty step']],
  ])('refuses %s, naming the line', (_name, text, wanted) => {
    const found = problems(text);
    for (const want of wanted)
      expect(
        found.some((f) => f.includes(want)),
        `${found.join('\n')}\nshould include ${want}`,
      ).toBe(true);
  });

  it('reports every problem at once', () => {
    const found = problems(
      '---\nfault: x\nrto: never\nrestored: { when: nonsense }\n---\n```sh {"bad":1}\ntrue\n```\n',
    );
    expect(found).toHaveLength(3);
  });
});

describe('transcript expectations', () => {
  const commands = parseTranscript('$ cmd\nexact line\nid=\\d+ (re)\n', 1);
  const expected = commands[0]?.expected ?? [];

  it('matches exact lines and regex lines, whole-line', () => {
    expect(outputMismatch(expected, 'exact line\nid=42\n')).toBeUndefined();
    expect(outputMismatch(expected, 'exact line\nid=42x\n')).toBe(
      'output line 2: expected id=\\d+ (re), got "id=42x"',
    );
    expect(outputMismatch(expected, 'exact line!\nid=4\n')).toBe(
      'output line 1: expected "exact line", got "exact line!"',
    );
  });

  it('names missing and extra lines', () => {
    expect(outputMismatch(expected, 'exact line\n')).toBe(
      'output ended before expected line 2: id=\\d+ (re)',
    );
    expect(outputMismatch(expected, 'exact line\nid=1\nmore\n')).toBe('unexpected output line 3: "more"');
    expect(outputMismatch([], '')).toBeUndefined();
  });

  it('joins `> ` continuation lines into the command', () => {
    const [first] = parseTranscript('$ echo a \\\n> b\na b\n', 10);
    expect(first).toMatchObject({ line: 10, command: 'echo a \\\nb', exitCode: 0 });
  });
});

describe('runbook files', () => {
  it('takes files as given and folders as their *.md, README.md left out; names what is missing', async () => {
    const { mkdtempSync, writeFileSync, mkdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadRunbook, resolveRunbookFiles } = await import('./load-runbook.ts');
    const dir = mkdtempSync(join(tmpdir(), 'runbooks-'));
    mkdirSync(join(dir, 'empty'));
    for (const name of ['b.md', 'a.md', 'README.md', 'notes.txt']) {
      writeFileSync(join(dir, name), `${FRONT}\`\`\`sh\ntrue\n\`\`\`\n`);
    }
    expect(resolveRunbookFiles([dir]).map((f) => f.slice(dir.length + 1))).toEqual(['a.md', 'b.md']);
    expect(() => resolveRunbookFiles([join(dir, 'empty')])).toThrow(
      /no runbooks \(\*\.md other than README\.md\) in/,
    );
    expect(() => resolveRunbookFiles(['nope.md'], dir)).toThrow(/no runbook at nope\.md/);
    expect(loadRunbook(join(dir, 'a.md')).name).toBe('a');
  });
});
