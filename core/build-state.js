// Plain JavaScript: bin/faultline.js reads it before any TypeScript loader is registered.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder (this file is one level below it, as dist/*.mjs are). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));

const SOURCE_DIRS = ['core', 'balancer', 'chaos', 'stack', 'drills', 'cli', 'backends'];

const newestSource = new Map();

function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestIn(path));
    else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * dist/<name>.mjs (scripts/bundle.mjs) when it was built after every source file last changed;
 * undefined when it is missing or stale (then the TypeScript runs through tsx), or when
 * FAULTLINE_FROM_SOURCE=1.
 */
export function freshBuild(name, root = PACKAGE_ROOT) {
  if (process.env.FAULTLINE_FROM_SOURCE === '1') return undefined;
  const file = join(root, 'dist', `${name}.mjs`);
  let built;
  try {
    built = statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  if (!newestSource.has(root)) {
    const dirs = SOURCE_DIRS.map((dir) => join(root, dir)).filter((dir) => existsSync(dir));
    newestSource.set(root, Math.max(0, ...dirs.map(newestIn)));
  }
  return built >= newestSource.get(root) ? file : undefined;
}

const REGISTERED = Symbol.for('faultline.drill-loaders');

/**
 * What importing a drill file needs: tsx (drill files are TypeScript) and the resolver that
 * makes `import ... from 'faultline'` find the drill API. Registered once per process, when
 * first needed: tsx hooks every later import, so a process that loads no drill file is faster
 * without it.
 */
export async function registerDrillLoaders() {
  if (globalThis[REGISTERED]) return;
  globalThis[REGISTERED] = true;
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  // Registered last, so it runs first: 'faultline' resolves to the drill API wherever the drill file is.
  register(new URL('../bin/resolve-faultline.js', import.meta.url).href);
}
