import { defineConfig } from 'vitest/config';

/**
 * Tests on a real Docker engine (the compose stack). `.ci/run` runs them after the main suite,
 * once scripts/ensure-docker.sh has an engine up: `npx vitest run --config vitest.docker.config.ts`.
 */
export default defineConfig({
  test: {
    include: ['test/docker/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    maxWorkers: 1,
  },
});
