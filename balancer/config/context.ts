import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Segment } from '../../core/validation/messages.ts';

/** Where build steps report problems, and how they learn that the schema already dropped a field. */
export interface BuildContext {
  problem(segments: Segment[], message: string): void;
  /** True when the schema rejected this field or something inside it (its value was dropped). */
  broken(segments: Segment[]): boolean;
  /** True when the schema rejected this very field (not only something inside it). */
  rejected(segments: Segment[]): boolean;
  /** Where relative file paths start: the config file's folder, else the working directory. */
  baseDir: string;
}

/** The same context, for paths below `prefix`. */
export function scope(ctx: BuildContext, prefix: Segment[]): BuildContext {
  return {
    problem: (segments, message) => ctx.problem([...prefix, ...segments], message),
    broken: (segments) => ctx.broken([...prefix, ...segments]),
    rejected: (segments) => ctx.rejected([...prefix, ...segments]),
    baseDir: ctx.baseDir,
  };
}

/** Drops undefined fields so that they do not overwrite defaults in a spread. */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

const FILE_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

/** Reads a file a config field names (relative to `ctx.baseDir`); a problem at `at` if it cannot. */
export function readConfigFile(
  ctx: BuildContext,
  at: Segment[],
  file: string,
): { path: string; text: string } | undefined {
  const path = resolve(ctx.baseDir, file);
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    ctx.problem(
      at,
      `cannot read ${path}: ${FILE_REASONS[code] ?? (err as Error).message}${code ? ` (${code})` : ''}`,
    );
    return undefined;
  }
}
