import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freshBuild, PACKAGE_ROOT } from './build-state.js';

const saved = process.env.FAULTLINE_FROM_SOURCE;
afterEach(() => {
  if (saved === undefined) delete process.env.FAULTLINE_FROM_SOURCE;
  else process.env.FAULTLINE_FROM_SOURCE = saved;
});

/** A package folder with one source file and one built file, modified at the given seconds. */
function pkg(sourceAt: number, builtAt: number | undefined): string {
  const root = mkdtempSync(join(tmpdir(), 'faultline-build-'));
  mkdirSync(join(root, 'core'));
  writeFileSync(join(root, 'core/x.ts'), 'export {};\n');
  utimesSync(join(root, 'core/x.ts'), sourceAt, sourceAt);
  mkdirSync(join(root, 'core/y'));
  writeFileSync(join(root, 'core/y/x.test.ts'), 'export {};\n'); // tests are not built: never stale
  utimesSync(join(root, 'core/y/x.test.ts'), 9e9, 9e9);
  if (builtAt !== undefined) {
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist/faultline.mjs'), '\n');
    utimesSync(join(root, 'dist/faultline.mjs'), builtAt, builtAt);
  }
  return root;
}

describe('which build runs', () => {
  it('the built file while it is newer than every source file; the TypeScript otherwise', () => {
    delete process.env.FAULTLINE_FROM_SOURCE;
    const fresh = pkg(1_000_000, 2_000_000);
    expect(freshBuild('faultline', fresh)).toBe(join(fresh, 'dist/faultline.mjs'));
    expect(freshBuild('faultline', pkg(3_000_000, 2_000_000))).toBeUndefined(); // a source edited since
    expect(freshBuild('faultline', pkg(1_000_000, undefined))).toBeUndefined(); // never built
    process.env.FAULTLINE_FROM_SOURCE = '1';
    expect(freshBuild('faultline', fresh)).toBeUndefined();
  });

  it('the built CLI runs on its own: it finds the catalog from dist/', () => {
    const built = freshBuild('faultline');
    expect(built, 'dist/ is built by `npm install` (prepare) and `npm run build`').toBe(
      join(PACKAGE_ROOT, 'dist/faultline.mjs'),
    );
    const out = execFileSync(process.execPath, [built as string, 'drill', '--list'], {
      cwd: tmpdir(),
      encoding: 'utf8',
    });
    expect(out).toContain('primary-crash');
  });
});
