import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The built-in drill catalog, run after the rest of the suite with nothing else beside it: its
 * SLAs are timing bounds, and sharing two cores with parallel test files would measure the
 * machine, not the balancer. Green on the stack as it is (catalog.test.ts), breached on stacks
 * with what its SLAs are about taken away (catalog-weakened.test.ts); one file at a time.
 * The scheduler's CLI suite runs here too: two schedulers running drills back to back for a
 * minute pushed a parallel file's steady state (p99 < 250 ms) to 765 ms.
 */
export default defineConfig({
  resolve: { alias: { faultline: fileURLToPath(new URL('./drills/index.ts', import.meta.url)) } },
  test: {
    include: [
      'test/integration/catalog.test.ts',
      'test/integration/catalog-weakened.test.ts',
      'test/integration/schedule-cli.test.ts',
    ],
    testTimeout: 240_000,
    maxWorkers: 1,
  },
});
