import { expect } from 'vitest';
import { ConfigError } from '../../core/errors.ts';
import { parseConfigText } from './index.ts';

/** Shared by the bad-config tables: a valid pool (lines 1-4) and builders for rows. */
export const POOL = `pools:
  web:
    servers:
      - { name: app1, url: http://127.0.0.1:3001 }
`;
export const pool = (fields: string) => `pools:\n  web:\n${fields}`;
export const server = (fields: string) =>
  pool(`    servers:\n      - { name: a, url: "http://127.0.0.1:1", ${fields} }\n`);

/** One bad config: the issue it must produce, where, and what its message must say. */
export interface Row {
  name: string;
  text: string;
  /** Dotted path of the issue; '' for the file as a whole. */
  path: string;
  /** Expected line; undefined when the issue has none (a missing top-level field). */
  line: number | undefined;
  says: string | string[];
  env?: NodeJS.ProcessEnv;
}

export function rejection(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfigText(text, { file: 'bad.yaml', env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('config was accepted');
}

/** Checks one row: the issue exists at its path and line, its message says it, the error reads well. */
export function expectRow({ text, path, line, says, env }: Row): void {
  const error = rejection(text, env);
  const issue = error.issues.find((i) => i.path === path);
  expect(issue, `issues: ${JSON.stringify(error.issues)}`).toBeDefined();
  for (const fragment of [says].flat()) expect(issue?.message).toContain(fragment);
  expect(issue?.line).toBe(line);
  expect(error.message).toContain(`bad.yaml${line ? `:${line}` : ''}: ${path || '(root)'}: `);
  expect(error.message).not.toMatch(/\bat .*\.ts:\d+|Invalid input|"code":/); // no stack, no raw zod
}
