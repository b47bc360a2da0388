import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The built-in drill catalog, run after the rest of the suite with nothing else beside it: its
 * SLAs are timing bounds, and sharing two cores with parallel test files would measure the
 * machine, not the balancer.
 */
export default defineConfig({
  resolve: { alias: { faultline: fileURLToPath(new URL('./drills/index.ts', import.meta.url)) } },
  test: {
    include: ['test/integration/catalog.test.ts'],
    testTimeout: 240_000,
    maxWorkers: 1,
  },
});
