import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, FaultlineError } from '../core/errors.ts';
import { packagePath } from '../core/paths.ts';
import { CATALOG } from './catalog/index.ts';
import { type DrillPlan, validateDrill } from './validate.ts';

const CATALOG_DIR = packagePath('drills', 'catalog');

export function catalogFile(name: string): string {
  return resolve(CATALOG_DIR, `${name}.drill.ts`);
}

/**
 * Drill names or files from the command line, as files: a catalog name (`primary-crash`), or a
 * path to a `*.drill.ts` file. None: the whole catalog, in order.
 */
export function resolveDrillFiles(args: readonly string[], cwd = process.cwd()): string[] {
  if (args.length === 0) return CATALOG.map(catalogFile);
  return args.map((arg) => {
    if ((CATALOG as readonly string[]).includes(arg)) return catalogFile(arg);
    const path = resolve(cwd, arg);
    if (existsSync(path) && statSync(path).isFile()) return path;
    throw new FaultlineError(
      'FL_DRILL_NOT_FOUND',
      `no drill "${arg}": not a built-in drill (${CATALOG.join(', ')}) and no file ${path}`,
    );
  });
}

/** Imports a drill module and validates its default export (file and field in every message). */
export async function importDrillFile(file: string): Promise<DrillPlan> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    const message = (err as Error).message?.split('\n')[0] ?? String(err);
    throw new ConfigError(
      file,
      [{ path: '(module)', message: `cannot load: ${message}` }],
      'FL_DRILL_INVALID',
      'drill',
    );
  }
  if (mod.default === undefined) {
    throw new ConfigError(
      file,
      [{ path: 'default export', message: 'missing: a drill file must `export default defineDrill({...})`' }],
      'FL_DRILL_INVALID',
      'drill',
    );
  }
  return validateDrill(mod.default, file);
}
