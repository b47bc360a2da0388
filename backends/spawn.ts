import { freshBuild } from '../core/build-state.js';
import { PACKAGE_ROOT, packagePath } from '../core/paths.ts';
import {
  type ChildProcessHandle,
  ChildStartError,
  killAllChildren,
  type LaunchSpec,
  spawnChild,
} from '../core/process/launcher.ts';
import { BACKEND_ENV_VARS } from './env.ts';

const BACKEND_MAIN = packagePath('backends', 'main.ts');

export type BackendProcess = ChildProcessHandle;
export type { ChildExit as BackendExit } from '../core/process/launcher.ts';
/** A backend did not come up: FL_PROCESS_START_FAILED (the launcher's ChildStartError). */
export { ChildStartError as BackendStartError };

/**
 * The command line that starts backend `name` on `port` (0: any free port), as plain data:
 * enough for another process (e.g. `faultline revert` after a crash) to start it again.
 */
export function backendLaunchSpec(
  name: string,
  port: number,
  env: Readonly<Record<string, string>> = {},
): LaunchSpec {
  return {
    command: process.execPath,
    // Built JavaScript while dist/ is fresh: no TypeScript transform at every start.
    args: ((built) => (built ? [built] : ['--import', 'tsx', BACKEND_MAIN]))(freshBuild('backend')),
    cwd: PACKAGE_ROOT,
    env: { ...env, BACKEND_NAME: name, HOST: '127.0.0.1', PORT: String(port) },
  };
}

export interface SpawnOptions {
  /** How long to wait for the listening line. Default 10000. */
  startTimeoutMs?: number;
}

/**
 * Starts `node --import tsx backends/main.ts` with BACKEND_NAME=name, HOST=127.0.0.1, PORT=0,
 * then `env` on top (pass `PORT` to reuse a port). Resolves when it printed its listening line.
 */
export function spawnBackend(
  name: string,
  env: Record<string, string> = {},
  options: SpawnOptions = {},
): Promise<BackendProcess> {
  const launch = backendLaunchSpec(name, 0, {});
  return spawnChild(
    name,
    { ...launch, env: { ...launch.env, ...env } },
    {
      ...options,
      label: `backend ${name}`,
      clearEnv: BACKEND_ENV_VARS,
      listeningPort: (event) =>
        event.event === 'listening' && typeof event.port === 'number' ? event.port : undefined,
      relaunch: (port, started) => ({ ...started, env: { ...started.env, PORT: String(port) } }),
    },
  );
}

/**
 * Starts a new process with the same name, env and port as `previous`, which must have exited
 * (kill or stop it first). `env` adds to or overrides the previous env.
 */
export function respawnBackend(
  previous: BackendProcess,
  env: Record<string, string> = {},
): Promise<BackendProcess> {
  return previous.respawn(env);
}

/** SIGCONT then SIGKILL every child process still alive (backends and the rest); waits for them. */
export const killAllBackends = killAllChildren;
