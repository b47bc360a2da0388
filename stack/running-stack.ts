import type { AdminClient, BalancerEvent } from '../balancer/index.ts';
import type { TargetProvider } from '../chaos/types.ts';
import { FaultlineError } from '../core/errors.ts';

/** Where a drill runs: the embedded local stack or the docker-compose stack. */
export type StackKind = 'local' | 'compose';

/** The stack a drill runs against, up and healthy: where to send load, what to break, what to watch. */
export interface RunningStack {
  readonly kind: StackKind;
  /** The balancer's listen URL: where the load goes. */
  readonly url: string;
  readonly admin: AdminClient;
  readonly targets: TargetProvider;
  /** The standby servers (backup tier). */
  readonly backups: string[];
  /** What an operator following a runbook has on this stack. */
  readonly operator: OperatorAccess;
  /** Every balancer event from now on, on the shared wall clock; returns the unsubscribe. */
  subscribe(listener: (event: BalancerEvent) => void): () => void;
  stop(): Promise<void>;
}

/** The admin API, and the command that manages the stack's services (`<services> restart app1`). */
export interface OperatorAccess {
  adminUrl: string;
  adminToken?: string;
  /** The service manager's command line: `faultline stack` (local) or `docker compose -p ...`. */
  services: readonly string[];
  /** Environment that command needs (the stack file, the compose file's variables). */
  servicesEnv: Readonly<Record<string, string>>;
  /** Its word for listing the services' state: `status`, or `ps` for docker compose. */
  statusVerb: 'status' | 'ps';
}

const HEALTHY_TIMEOUT_MS = 15_000;

/**
 * The demo stack's quick health checks, with a timeout that survives a loaded CI machine (a
 * drill measures the balancer, not how busy the runner's cores are): a frozen server is out
 * within fall × interval + timeout = 2 × 250 + 250 = 750ms.
 */

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
