import type { ExpectedLine, TranscriptCommand } from './types.ts';

/** A problem at one line of a block, relative to the file. */
export class BlockProblem extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const EXIT_LINE = /^\[(\d{1,3})\]$/;
const REGEX_SUFFIX = ' (re)';

/** True when a block is a transcript: some line starts with `$ ` (cram, `console` blocks). */
export function isTranscript(content: string): boolean {
  return content.split('\n').some((line) => line.startsWith('$ ') || line === '$');
}

/**
 * Parses a transcript as cram writes one: `$ command`, `> ` continuation lines, then the
 * expected output, a line ending in ` (re)` matching as a regular expression, and `[N]` for an
 * exit code other than 0. `firstLine` is the file line of the block's first content line.
 */
export function parseTranscript(content: string, firstLine: number): TranscriptCommand[] {
  const lines = content.replace(/\n$/, '').split('\n');
  const commands: TranscriptCommand[] = [];
  let current: (TranscriptCommand & { exitSeen: boolean }) | undefined;
  lines.forEach((text, i) => {
    const line = firstLine + i;
    if (text.startsWith('$ ') || text === '$') {
      const command = text.slice(2).trim();
      if (command === '') throw new BlockProblem(line, 'a `$` line without a command');
      current = { line, command, expected: [], exitCode: 0, exitSeen: false };
      commands.push(current);
      return;
    }
    if (!current) {
      if (text.trim() === '') return;
      throw new BlockProblem(line, 'output before the first `$ command` line');
    }
    if (text.startsWith('> ') && current.expected.length === 0 && !current.exitSeen) {
      current.command += `\n${text.slice(2)}`;
      return;
    }
    if (current.exitSeen) {
      if (text.trim() === '') return;
      throw new BlockProblem(line, 'output after the exit code line `[N]`; start the next command with `$ `');
    }
    const exit = EXIT_LINE.exec(text);
    if (exit) {
      const code = Number(exit[1]);
      if (code > 255) throw new BlockProblem(line, `exit code ${code} is out of range (0-255)`);
      current.exitCode = code;
      current.exitSeen = true;
      return;
    }
    current.expected.push(expectedLine(text, line));
  });
  // A blank line ending the expected output is layout, not output.
  for (const command of commands) {
    while (
      command.expected.at(-1)?.kind === 'text' &&
      (command.expected.at(-1) as { text: string }).text === ''
    )
      command.expected.pop();
  }
  return commands.map(({ line, command, expected, exitCode }) => ({ line, command, expected, exitCode }));
}

function expectedLine(text: string, line: number): ExpectedLine {
  if (!text.endsWith(REGEX_SUFFIX)) return { kind: 'text', text };
  const source = text.slice(0, -REGEX_SUFFIX.length);
  try {
    return { kind: 're', pattern: new RegExp(`^(?:${source})$`), source };
  } catch (err) {
    throw new BlockProblem(line, `not a valid regular expression: ${(err as Error).message}`);
  }
}

/** Where actual output first differs from what the runbook expects, or undefined when it matches. */
export function outputMismatch(expected: readonly ExpectedLine[], actual: string): string | undefined {
  const got = actual.replace(/\n$/, '').split('\n');
  if (actual === '') got.length = 0;
  const count = Math.max(expected.length, got.length);
  for (let i = 0; i < count; i++) {
    const want = expected[i];
    const have = got[i];
    if (want === undefined) return `unexpected output line ${i + 1}: ${JSON.stringify(have)}`;
    const shown = want.kind === 'text' ? JSON.stringify(want.text) : `${want.source} (re)`;
    if (have === undefined) return `output ended before expected line ${i + 1}: ${shown}`;
    const ok = want.kind === 'text' ? want.text === have : want.pattern.test(have);
    if (!ok) return `output line ${i + 1}: expected ${shown}, got ${JSON.stringify(have)}`;
  }
  return undefined;
}
