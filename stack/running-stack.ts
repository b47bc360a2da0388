import { AdminClient, type BalancerEvent, FaultlineError } from '../balancer/index.ts';
import { DEMO_HEALTH, LocalStack } from '../chaos/targets/local-stack.ts';
import type { TargetProvider } from '../chaos/types.ts';
import type { LoadedStack } from './validate.ts';

/** The stack a drill runs against, up and healthy: where to send load, what to break, what to watch. */
export interface DrillTarget {
  readonly kind: 'local' | 'compose';
  /** The balancer's listen URL: where the load goes. */
  readonly url: string;
  readonly admin: AdminClient;
  readonly targets: TargetProvider;
  /** The standby servers (backup tier). */
  readonly backups: string[];
  /** Every balancer event from now on, on the shared wall clock; returns the unsubscribe. */
  subscribe(listener: (event: BalancerEvent) => void): () => void;
  stop(): Promise<void>;
}

const HEALTHY_TIMEOUT_MS = 15_000;

/**
 * The demo stack's quick health checks, with a timeout that survives a loaded CI machine (a
 * drill measures the balancer, not how busy the runner's cores are): a frozen server is out
 * within fall × interval + timeout = 2 × 250 + 250 = 750ms.
 */
export const DRILL_HEALTH = { ...DEMO_HEALTH, interval: '250ms', timeout: '250ms' };

/** Starts the embedded local stack (every process a child of this one) and waits until it serves. */
export async function startLocalTarget(stack: LoadedStack, pool = 'web'): Promise<DrillTarget> {
  let local: LocalStack;
  try {
    local = await LocalStack.start({
      backends: stack.backends,
      proxies: stack.proxies,
      pool: { health: DRILL_HEALTH, ...stack.pool },
      config: { timeouts: { responseHeaders: '1s' }, ...stack.balancer },
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
      pool,
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
    subscribe: (listener) => local.subscribe(listener),
    stop: () => local.stop(),
  };
}

/** Every primary passes its health checks: the drill starts from a known-good state. */
export async function waitUntilServing(
  admin: AdminClient,
  pool: string,
  primaries: string[],
  timeoutMs = HEALTHY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer from the admin API';
  while (Date.now() < deadline) {
    try {
      const snapshot = await admin.pool(pool);
      const up = new Set(snapshot.servers.filter((s) => s.state === 'up').map((s) => s.name));
      const missing = primaries.filter((p) => !up.has(p));
      if (missing.length === 0) return;
      last = `not in rotation yet: ${missing.join(', ')}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new FaultlineError(
    'FL_DRILL_TARGET_FAILED',
    `the stack did not become healthy within ${timeoutMs / 1000}s (${last})`,
  );
}
