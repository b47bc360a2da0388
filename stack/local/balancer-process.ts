import { writeFileSync } from 'node:fs';
import type { RawBalancerConfig } from '../../balancer/index.ts';
import { PACKAGE_ROOT, packagePath } from '../../core/paths.ts';
import { type ChildProcessHandle, type LaunchSpec, spawnChild } from '../../core/process/launcher.ts';

const FAULTLINE_BIN = packagePath('bin', 'faultline.js');

/** `faultline balancer -c FILE --log-format json`: the balancer as users run it. */
export function balancerLaunchSpec(configFile: string): LaunchSpec {
  return {
    command: process.execPath,
    args: [FAULTLINE_BIN, 'balancer', '--config', configFile, '--log-format', 'json'],
    cwd: PACKAGE_ROOT,
    env: {},
  };
}

export interface BalancerProcess extends ChildProcessHandle {
  /** The admin API base URL. */
  readonly adminUrl: string;
}

function portOf(url: unknown): number | undefined {
  if (typeof url !== 'string') return undefined;
  const port = Number(new URL(url).port);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * Starts the balancer as a child process from `config` (raw config, listen ports may be 0).
 * Once it listens, `configFile` is rewritten with the ports it got, so a restart (by the stack
 * or by `faultline revert` after a crash) comes back on the same addresses.
 */
export async function spawnBalancer(
  configFile: string,
  config: RawBalancerConfig,
  options: { startTimeoutMs?: number } = {},
): Promise<BalancerProcess> {
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const handle = await spawnChild('balancer', balancerLaunchSpec(configFile), {
    label: 'balancer',
    startTimeoutMs: options.startTimeoutMs ?? 15_000,
    listeningPort: (line) => (line.kind === 'listening' ? portOf(line.listen) : undefined),
    relaunch: (_port, launch) => launch,
  });
  const adminUrl = String(handle.listening.admin);
  const admin = config.admin ?? {};
  const bound = new Map(
    ((handle.listening.listeners ?? []) as { name: string; url: string }[]).map((l) => [
      l.name,
      portOf(l.url),
    ]),
  );
  const fixed = {
    ...config,
    ...(config.listeners
      ? {
          listeners: config.listeners.map((l, i) => ({
            ...l,
            listen: `127.0.0.1:${bound.get(l.name ?? `${l.mode ?? 'http'}-${i}`) ?? handle.port}`,
          })),
        }
      : { listen: `127.0.0.1:${handle.port}` }),
    admin: { ...admin, listen: `127.0.0.1:${portOf(adminUrl)}` },
  };
  writeFileSync(configFile, `${JSON.stringify(fixed, null, 2)}\n`);
  return withAdmin(handle, adminUrl);
}

function withAdmin(handle: ChildProcessHandle, adminUrl: string): BalancerProcess {
  return {
    ...handle,
    adminUrl,
    respawn: async (env) => withAdmin(await handle.respawn(env), adminUrl),
  };
}
