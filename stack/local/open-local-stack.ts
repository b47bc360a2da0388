import { join } from 'node:path';
import { AdminClient } from '../../balancer/index.ts';
import { PACKAGE_ROOT } from '../../core/build-state.js';
import { FaultlineError } from '../../core/errors.ts';
import { type RunningStack, waitUntilServing } from '../running-stack.ts';
import { DRILL_HEALTH, STACK_POOL, tcpHealth } from '../sample.ts';
import type { StackSpec } from '../stack-spec.ts';
import { LocalStack } from './local-stack.ts';

/** Starts the embedded local stack (every process a child of this one) and waits until it serves. */
export async function openLocalStack(stack: StackSpec): Promise<RunningStack> {
  let local: LocalStack;
  try {
    local = await LocalStack.start({
      backends: stack.backends,
      proxies: stack.proxies,
      pool: { health: stack.protocol === 'tcp' ? tcpHealth(DRILL_HEALTH) : DRILL_HEALTH, ...stack.pool },
      config: { timeouts: { responseHeaders: '1s' }, ...stack.balancer },
      protocol: stack.protocol,
    });
  } catch (err) {
    throw new FaultlineError(
      'FL_DRILL_TARGET_FAILED',
      `the local stack did not start: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const admin = new AdminClient(local.adminUrl);
  try {
    await waitUntilServing(
      admin,
      STACK_POOL,
      stack.backends.filter((b) => !b.backup).map((b) => b.name),
    );
  } catch (err) {
    await local.stop();
    throw err;
  }
  return {
    kind: 'local',
    url: local.url,
    admin,
    targets: local.targets,
    backups: stack.backends.filter((b) => b.backup).map((b) => b.name),
    operator: {
      adminUrl: local.adminUrl,
      services: [process.execPath, join(PACKAGE_ROOT, 'bin', 'faultline.js'), 'stack'],
      servicesEnv: { FAULTLINE_STACK: local.stackFile },
      statusVerb: 'status',
    },
    subscribe: (listener) => local.subscribe(listener),
    stop: () => local.stop(),
  };
}
