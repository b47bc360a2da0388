import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FaultlineError } from '../../balancer/errors.ts';
import type { LocalProcessSpec, TargetProvider } from '../types.ts';
import { PidTarget } from './pid-target.ts';
import { isRunning } from './process-identity.ts';

export const DEFAULT_STACK_STATE = '.faultline/stack.json';

/** What a running local stack publishes so other faultline processes can act on it. */
export interface StackState {
  version: 1;
  startedAt: string;
  /** The process that started the stack (it hosts the toxic proxies). */
  ownerPid: number;
  balancer: { url: string; adminUrl: string };
  proxyControlUrl: string | null;
  processes: StackProcess[];
}

export interface StackProcess {
  name: string;
  port: number;
  url: string;
  /** Sample backend control API base URL; absent for the balancer. */
  controlUrl?: string;
  spec: LocalProcessSpec;
  proxy: { controlUrl: string; name: string } | null;
}

export function stackStatePath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.FAULTLINE_STACK ?? DEFAULT_STACK_STATE);
}

export function writeStackState(file: string, state: StackState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

export function readStackState(file: string): StackState {
  const hint = 'start one with `faultline demo` (it writes this file)';
  if (!existsSync(file)) {
    throw new FaultlineError(
      'FL_TARGET_NOT_FOUND',
      `no local stack is running: ${file} does not exist; ${hint}`,
    );
  }
  let state: StackState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch (err) {
    throw new FaultlineError(
      'FL_TARGET_NOT_FOUND',
      `${file} is not a stack state file: ${(err as Error).message}`,
    );
  }
  if (state.version !== 1 || !Array.isArray(state.processes)) {
    throw new FaultlineError(
      'FL_TARGET_NOT_FOUND',
      `${file} is not a stack state file faultline understands`,
    );
  }
  if (!isRunning(state.ownerPid)) {
    throw new FaultlineError(
      'FL_TARGET_NOT_FOUND',
      `the local stack in ${file} is gone (pid ${state.ownerPid} exited); ${hint}`,
    );
  }
  return state;
}

/** Targets of the local stack another faultline process started, found by port through /proc. */
export async function openLocalStackTargets(file: string): Promise<TargetProvider> {
  const state = readStackState(file);
  const byName = new Map(state.processes.map((p) => [p.name, p]));
  return {
    kind: 'local',
    names: async () => [...byName.keys()],
    resolve: async (name) => {
      const entry = byName.get(name);
      if (!entry) {
        throw new FaultlineError(
          'FL_TARGET_NOT_FOUND',
          `no target named "${name}" in the local stack (targets: ${[...byName.keys()].join(', ')})`,
        );
      }
      return new PidTarget(entry);
    },
  };
}
