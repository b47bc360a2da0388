import { isAbsolute, join, relative } from 'node:path';
import { PACKAGE_ROOT } from './build-state.js';

export { PACKAGE_ROOT };

/**
 * A file of the package by its path from the root. Not `new URL(rel, import.meta.url)`: once
 * bundled into dist/faultline.mjs, every module's import.meta.url is the bundle's.
 */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

/** A path as messages show it: relative to the working folder when inside it, else absolute. */
export function shownPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
