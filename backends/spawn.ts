/**
 * Sample backends as real child processes on 127.0.0.1: the local stack and the tests kill,
 * freeze and restart them.
 *
 * ```ts
 * import { afterEach } from 'vitest';
 * import { killAllBackends, respawnBackend, spawnBackend } from '../backends/spawn.ts';
 *
 * afterEach(killAllBackends);                       // no leaked processes, even frozen ones
 *
 * const app1 = await spawnBackend('app1', { LATENCY_MS: '50' });   // PORT=0, 127.0.0.1
 * app1.url;                 // http://127.0.0.1:43123
 * app1.freeze(); app1.thaw();                       // SIGSTOP / SIGCONT
 * await app1.kill();                                // SIGKILL, resolves once it exited
 * const again = await respawnBackend(app1);         // same name, env and port
 * const code = await again.stop();                  // SIGTERM, graceful drain; exit code (0)
 * ```
 *
 * Start failures (bad env, port in use, no listening line within the timeout) reject with a
 * BackendStartError (FL_PROCESS_START_FAILED) that carries the exit code and the child's stderr.
 */
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

/** Built JavaScript while dist/ is fresh (no TypeScript transform at every start), else tsx. */
function backendArgs(): string[] {
  const built = freshBuild('backend');
  return built ? [built] : ['--import', 'tsx', BACKEND_MAIN];
}

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
    args: backendArgs(),
    cwd: PACKAGE_ROOT,
    env: { ...env, BACKEND_NAME: name, HOST: '127.0.0.1', PORT: String(port) },
  };
}

export interface SpawnOptions {
  /** How long to wait for the listening line. Default 10000. */
  startTimeoutMs?: number;
}

/**
 * Starts the sample backend (dist/backend.mjs, or backends/main.ts through tsx) with BACKEND_NAME=name, HOST=127.0.0.1, PORT=0,
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
