import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // Drill files import the drill API as 'faultline', as users' drill files do.
  resolve: { alias: { faultline: fileURLToPath(new URL('./drills/index.ts', import.meta.url)) } },
  test: {
    include: [
      'balancer/**/*.test.ts',
      'backends/**/*.test.ts',
      'bench/**/*.test.ts',
      'chaos/**/*.test.ts',
      'cli/**/*.test.ts',
      'core/**/*.test.ts',
      'drills/**/*.test.ts',
      'stack/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // The catalog's SLAs measure timing, and the scheduler's suite keeps stacks busy for a minute:
    // both run alone afterwards (vitest.catalog.config.ts).
    // The compose stack's suite needs a Docker engine: vitest.docker.config.ts.
    exclude: [
      ...configDefaults.exclude,
      'test/integration/catalog.test.ts',
      'test/integration/catalog-weakened.test.ts',
      'test/integration/schedule-cli.test.ts',
      'test/docker/**',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Timing-sensitive suites share two cores; keep file-level parallelism modest.
    maxWorkers: 2,
  },
});
