import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FaultlineError } from '../../core/errors.ts';
import {
  assertProcessIdentity,
  instanceState,
  type ProcessInstance,
  StaleTargetError,
} from '../../core/process/identity.ts';
import { assertPrivateFile, makePrivateDir, PRIVATE_FILE_MODE } from '../private-files.ts';
import type { LocalProcessSpec, TargetProvider } from '../types.ts';
import { TargetNotFoundError } from './errors.ts';
import { PidTarget } from './pid-target.ts';

export const DEFAULT_STACK_STATE = '.faultline/stack.json';

/** What a running local stack publishes so other faultline processes can act on it. */
export interface StackState {
  version: 1;
  startedAt: string;
  /** The process that started the stack (it hosts the toxic proxies). */
  ownerPid: number;
  /** Its kernel start time: with ownerPid, the one instance that owns the stack. */
  ownerStartTime: string;
  balancer: { url: string; adminUrl: string };
  proxyControlUrl: string | null;
  processes: StackProcess[];
}

export interface StackProcess extends ProcessInstance {
  name: string;
  port: number;
  url: string;
  /** Sample backend control API base URL; absent for the balancer. */
  controlUrl?: string;
  spec: LocalProcessSpec;
  proxy: { controlUrl: string; name: string } | null;
}

const WHAT = 'stack file';

export function stackStatePath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.FAULTLINE_STACK ?? DEFAULT_STACK_STATE);
}

export function writeStackState(file: string, state: StackState): void {
  makePrivateDir(file);
  assertPrivateFile(file, WHAT);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  renameSync(tmp, file);
}

/** The file as written, checked for shape and ownership but not for liveness. */
export function readStackStateFile(file: string): StackState {
  const hint = 'start one with `faultline demo` (it writes this file)';
  if (!existsSync(file)) {
    throw new FaultlineError(
      'FL_TARGET_NOT_FOUND',
      `no local stack is running: ${file} does not exist; ${hint}`,
    );
  }
  assertPrivateFile(file, WHAT);
  let state: StackState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as StackState;
  } catch (err) {
    throw new FaultlineError(
      'FL_TARGET_NOT_FOUND',
      `${file} is not a stack state file: ${(err as Error).message}`,
    );
  }
  const instances = [
    { pid: state?.ownerPid, startTime: state?.ownerStartTime },
    ...(Array.isArray(state?.processes) ? state.processes : []),
  ];
  if (
    state?.version !== 1 ||
    !Array.isArray(state.processes) ||
    instances.some((p) => !Number.isInteger(p.pid) || typeof p.startTime !== 'string')
  ) {
    throw new FaultlineError(
      'FL_TARGET_NOT_FOUND',
      `${file} is not a stack state file faultline understands (an older faultline wrote it?); ${hint}`,
    );
  }
  return state;
}

/**
 * The stack another faultline process published. Its owner must be the very process that
 * wrote it: gone is "no stack", a pid that names another process now is a stale file (refused).
 */
export function readStackState(file: string): StackState {
  const state = readStackStateFile(file);
  const owner = { pid: state.ownerPid, startTime: state.ownerStartTime };
  const ownerState = instanceState(owner);
  if (ownerState === 'gone') {
    throw new FaultlineError(
      'FL_TARGET_NOT_FOUND',
      `the local stack in ${file} is gone (pid ${state.ownerPid} exited); start one with \`faultline demo\` (it writes this file)`,
    );
  }
  if (ownerState === 'replaced')
    throw new StaleTargetError('the local stack (its owner process)', owner, file);
  return state;
}

/**
 * Records the process now running for `name` (started again by a revert, or by the stack
 * itself), so every later signal is checked against it. A file that is gone is left gone.
 */
export function updateStackProcess(file: string, name: string, instance: ProcessInstance): void {
  if (!existsSync(file)) return;
  const state = readStackStateFile(file);
  const entry = state.processes.find((p) => p.name === name);
  if (!entry) return;
  entry.pid = instance.pid;
  entry.startTime = instance.startTime;
  writeStackState(file, state);
}

/** The process recorded for `name` now (re-read: a revert in another shell may have replaced it). */
export function recordedInstance(file: string, name: string): ProcessInstance | undefined {
  if (!existsSync(file)) return undefined;
  const entry = readStackStateFile(file).processes.find((p) => p.name === name);
  return entry && { pid: entry.pid, startTime: entry.startTime };
}

/** Targets of the local stack another faultline process started, by the instances it recorded. */
export async function openLocalStackTargets(file: string): Promise<TargetProvider> {
  assertProcessIdentity('a fault on a local process');
  const state = readStackState(file);
  const byName = new Map(state.processes.map((p) => [p.name, p]));
  return {
    kind: 'local',
    names: async () => [...byName.keys()],
    resolve: async (name) => {
      const entry = byName.get(name);
      if (!entry) {
        throw new TargetNotFoundError(name, [...byName.keys()]);
      }
      // Refused before anything is planned: a stale record must not even reach the ledger.
      if (instanceState(entry) === 'replaced') throw new StaleTargetError(name, entry, file);
      return new PidTarget(entry, file);
    },
  };
}
