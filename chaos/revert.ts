import { BackendControlClient } from '../backends/control-client.ts';
import { FaultlineError } from '../core/errors.ts';
import { portAnswers } from '../core/net/ports.ts';
import { type ProcessInstance, StaleTargetError, signalInstance } from '../core/process/identity.ts';
import { startDetached } from '../core/process/launcher.ts';
import { describeListener } from '../core/process/port-owner.ts';
import { ToxicProxyClient } from './toxic-proxy/client.ts';
import type { RevertRecord } from './types.ts';

export type RevertOutcome = 'reverted' | 'nothing-to-do';

const CONTROL_TIMEOUT_MS = 5000;
const RESPAWN_TIMEOUT_MS = 10_000;

/**
 * Undoes one fault from its ledger record, from any process (the injector may be dead).
 * Idempotent: what is already undone, or can no longer be undone safely (a resumed process
 * whose pid now names another process, a respawn for a stack that is gone), is `nothing-to-do`.
 */
export async function applyRevert(
  record: RevertRecord,
  log: (line: string) => void = () => {},
): Promise<RevertOutcome> {
  switch (record.kind) {
    case 'resume-process':
      return resumeProcess(record, log);
    case 'respawn-process':
      return respawnProcess(record, log);
    case 'remove-toxic': {
      const removed = await toxicProxy(record.controlUrl, (client) =>
        client.removeToxic(record.proxy, record.toxic),
      );
      return removed ? 'reverted' : 'nothing-to-do';
    }
    case 'enable-proxy':
      await toxicProxy(record.controlUrl, (client) => client.setEnabled(record.proxy, true));
      return 'reverted';
    case 'restore-knobs': {
      let base = record.controlUrl;
      if (record.container) {
        const { containerControl } = await import('./targets/docker-target.ts');
        const now = await containerControl(record.container.id, record.container.port);
        // Not running, or started since the fault: a fresh process, its knobs at their defaults.
        if (!now?.url || now.startedAt > record.container.plannedAt) return 'nothing-to-do';
        base = now.url;
      }
      try {
        const backend = new BackendControlClient(base, { timeoutMs: CONTROL_TIMEOUT_MS });
        await backend.setKnobs(record.knobs);
        await backend.release();
      } catch (err) {
        throw new FaultlineError('FL_REVERT_FAILED', (err as Error).message, { cause: err });
      }
      return 'reverted';
    }
    case 'docker': {
      // Loaded on demand: only a docker revert needs dockerode and an engine (FL_DOCKER_UNAVAILABLE otherwise).
      const { revertDockerFault } = await import('./targets/docker-target.ts');
      return revertDockerFault(record, log);
    }
    case 'none':
      return 'nothing-to-do';
    default:
      return unknownKind(record);
  }
}

function unknownKind(record: never): never {
  throw new FaultlineError('FL_REVERT_FAILED', `unknown revert record ${JSON.stringify(record)}`);
}

function resumeProcess(
  record: Extract<RevertRecord, { kind: 'resume-process' }>,
  log: (line: string) => void,
): RevertOutcome {
  // The frozen instance is gone either way (its pid can only be reused once it exited): nothing
  // is left to resume, and a process that took over its pid is never signalled.
  try {
    const instance = { pid: record.pid, startTime: record.startedAt };
    if (signalInstance(record.name, instance, 'SIGCONT')) return 'reverted';
    log(`${record.name}: pid ${record.pid} is gone; nothing to resume`);
  } catch (err) {
    if (!(err instanceof StaleTargetError)) throw err;
    log(`${err.message} [${err.code}]`);
  }
  return 'nothing-to-do';
}

/** Why a respawn must not happen: the stack it belonged to is gone or its file is stale. */
async function stackGone(stackFile: string): Promise<string | undefined> {
  const { readStackState } = await import('./targets/stack-state.ts');
  try {
    readStackState(stackFile);
    return undefined;
  } catch (err) {
    if (!(err instanceof FaultlineError) || err.code === 'FL_UNSAFE_FILE') throw err;
    return `${err.message} [${err.code}]`;
  }
}

async function respawnProcess(
  record: Extract<RevertRecord, { kind: 'respawn-process' }>,
  log: (line: string) => void,
): Promise<RevertOutcome> {
  const { name, spec, stackFile } = record;
  if (await portAnswers(spec.port)) {
    const who = describeListener(spec.port);
    log(
      `${name}: something already listens on port ${spec.port}${who ? ` (${who})` : ''}; not starting another`,
    );
    return 'nothing-to-do';
  }
  const gone = stackFile ? await stackGone(stackFile) : undefined;
  if (gone) {
    log(`${name}: not started again, its stack is no more: ${gone}`);
    return 'nothing-to-do';
  }
  let instance: ProcessInstance;
  try {
    instance = await startDetached(spec, {
      port: spec.port,
      ...(spec.logFile ? { logFile: spec.logFile } : {}),
      timeoutMs: RESPAWN_TIMEOUT_MS,
    });
  } catch (err) {
    const where = spec.logFile ? ` (output in ${spec.logFile})` : '';
    throw new FaultlineError(
      'FL_REVERT_FAILED',
      `could not start ${name} again: ${(err as Error).message}${where}`,
      { cause: err },
    );
  }
  if (stackFile) {
    const { updateStackProcess } = await import('./targets/stack-state.ts');
    updateStackProcess(stackFile, name, instance);
  }
  log(`${name}: started again (pid ${instance.pid}) on port ${spec.port}`);
  return 'reverted';
}

/** One call to a toxic proxy's control API; a failure is FL_REVERT_FAILED. */
async function toxicProxy<T>(controlUrl: string, call: (client: ToxicProxyClient) => Promise<T>): Promise<T> {
  try {
    return await call(new ToxicProxyClient(controlUrl, { timeoutMs: CONTROL_TIMEOUT_MS }));
  } catch (err) {
    throw new FaultlineError('FL_REVERT_FAILED', (err as Error).message, { cause: err });
  }
}
