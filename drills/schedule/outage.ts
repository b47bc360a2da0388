import { AdminClient } from '../../balancer/index.ts';
import type { OutageCheck } from './schedule-file.ts';

/**
 * Asks the balancer's admin API whether a pool is degraded already: a primary server down,
 * ejected, with its breaker open, drained or disabled, a pool failed over to its backup tier or
 * in panic mode. Returns why, or undefined when every pool is whole. An admin API that cannot be
 * asked counts as degraded: no fault is injected into a service nobody can see.
 */
export async function degradedReason(
  check: OutageCheck,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const token = check.tokenEnv ? env[check.tokenEnv] : undefined;
  if (check.tokenEnv && !token) return `outage check: $${check.tokenEnv} (the admin token) is not set`;
  const client = new AdminClient(check.admin, { timeoutMs: 5000, ...(token ? { token } : {}) });
  let pools: Awaited<ReturnType<AdminClient['pools']>>;
  try {
    pools = await client.pools();
  } catch (err) {
    return `outage check: the admin API at ${check.admin} did not answer: ${(err as Error).message}`;
  }
  const problems: string[] = [];
  for (const pool of pools) {
    if (pool.activeTier === 'backup')
      problems.push(`pool ${pool.name} has failed over to its backup servers`);
    if (pool.panic) problems.push(`pool ${pool.name} is in panic mode`);
    for (const s of pool.servers) {
      if (s.backup || s.state === 'up') continue;
      problems.push(
        `${pool.name}/${s.name} is ${s.state}${s.state === 'down' && s.healthReason ? ` (${s.healthReason})` : ''}`,
      );
    }
  }
  return problems.length ? `degraded already: ${problems.join('; ')}` : undefined;
}
