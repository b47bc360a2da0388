/**
 * The layout is the drill's data flow: imports run one way, cli → drills → stack → chaos →
 * balancer (its public API) → core. This reads every source file's relative imports and names
 * each one that runs against that flow.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What each top-level folder may import besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  balancer: ['core'],
  backends: ['core'],
  chaos: ['core', 'balancer', 'backends'],
  stack: ['core', 'balancer', 'chaos', 'backends'],
  drills: ['core', 'balancer', 'chaos', 'stack'],
  cli: ['core', 'balancer', 'chaos', 'stack', 'drills', 'backends'],
};

/** Folders other parts may enter only through their index.ts. */
const ONE_DOOR = new Set(['balancer', 'stack']);

function sources(dir: string, root: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path, root);
    const isSource = entry.name.endsWith('.ts') && !/\.(test|fixture)\.ts$/.test(entry.name);
    return isSource ? [path] : [];
  });
}

function importsOf(file: string, root: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map(
    (m) => m[1] as string,
  );
  return specs.map((spec) => relative(root, resolve(root, dirname(file), spec)));
}

/** Every import of `folder`'s sources that breaks the layout, as "file → imported". */
function layoutViolations(folder: string, root = ROOT): string[] {
  const allowed = MAY_IMPORT[folder] ?? [];
  return sources(folder, root).flatMap((file) =>
    importsOf(file, root).flatMap((target) => {
      const top = target.split('/')[0] as string;
      if (top === folder) return [];
      if (!(top in MAY_IMPORT) || !allowed.includes(top)) return [`${file} → ${target}`];
      if (ONE_DOOR.has(top) && target !== `${top}/index.ts`)
        return [`${file} → ${target} (use ${top}/index.ts)`];
      return [];
    }),
  );
}

describe('the layout', () => {
  it.each(Object.keys(MAY_IMPORT))('%s/ imports only what lies downstream of it', (folder) => {
    expect(layoutViolations(folder)).toEqual([]);
  });

  it('names an import against the flow, and one past a folder door', () => {
    const root = mkdtempSync(join(tmpdir(), 'faultline-layout-'));
    mkdirSync(join(root, 'balancer'));
    mkdirSync(join(root, 'drills'));
    writeFileSync(join(root, 'balancer/server.ts'), "import { openLocalStack } from '../stack/index.ts';\n");
    writeFileSync(join(root, 'drills/run.ts'), "import { Pool } from '../balancer/pool/pool.ts';\n");
    expect(layoutViolations('balancer', root)).toEqual(['balancer/server.ts → stack/index.ts']);
    expect(layoutViolations('drills', root)).toEqual([
      'drills/run.ts → balancer/pool/pool.ts (use balancer/index.ts)',
    ]);
  });
});
