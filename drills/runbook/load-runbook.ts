import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FaultlineError } from '../../core/errors.ts';
import { parseRunbook } from './parse-runbook.ts';
import type { RunbookPlan } from './types.ts';

/** The runbook files the arguments name: files as given, folders as their `*.md` (sorted). */
export function resolveRunbookFiles(args: readonly string[], cwd = process.cwd()): string[] {
  const files: string[] = [];
  for (const arg of args) {
    const path = resolve(cwd, arg);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new FaultlineError('FL_RUNBOOK_NOT_FOUND', `no runbook at ${arg} (${path} does not exist)`);
    }
    if (!isDir) {
      files.push(path);
      continue;
    }
    const found = readdirSync(path)
      .filter((name) => name.toLowerCase().endsWith('.md') && name.toLowerCase() !== 'readme.md')
      .sort()
      .map((name) => join(path, name));
    if (found.length === 0) {
      throw new FaultlineError('FL_RUNBOOK_NOT_FOUND', `no runbooks (*.md other than README.md) in ${arg}`);
    }
    files.push(...found);
  }
  return files;
}

/** Reads and parses one runbook file. */
export function loadRunbook(file: string): RunbookPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FaultlineError(
      'FL_RUNBOOK_NOT_FOUND',
      `cannot read runbook ${file}: ${(err as Error).message}`,
    );
  }
  return parseRunbook(text, file);
}
