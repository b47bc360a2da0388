import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { FaultlineError } from '../core/errors.ts';
import { currentInstance, StaleTargetError, signalInstance } from '../core/process/identity.ts';
import { describeListener } from '../core/process/port-owner.ts';
import { controlHeaders } from './toxic-proxy/client.ts';
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
      const url = `${record.controlUrl}/proxies/${encodeURIComponent(record.proxy)}/toxics/${encodeURIComponent(record.toxic)}`;
      const res = await control(url, 'DELETE', undefined, [200, 204, 404], controlHeaders('DELETE'));
      return res.status === 404 ? 'nothing-to-do' : 'reverted';
    }
    case 'enable-proxy': {
      const url = `${record.controlUrl}/proxies/${encodeURIComponent(record.proxy)}`;
      await control(url, 'POST', { enabled: true }, [200, 201, 204], controlHeaders('POST'));
      return 'reverted';
    }
    case 'restore-knobs': {
      let base = record.controlUrl;
      if (record.container) {
        const { containerControl } = await import('./targets/docker-target.ts');
        const now = await containerControl(record.container.id, record.container.port);
        // Not running, or started since the fault: a fresh process, its knobs at their defaults.
        if (!now?.url || now.startedAt > record.container.plannedAt) return 'nothing-to-do';
        base = now.url;
      }
      await control(`${base}/_faultline/knobs`, 'PUT', record.knobs, [200]);
      await control(`${base}/_faultline/release`, 'POST', undefined, [200]);
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
  if (await portAccepts(spec.port)) {
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
  let out: number | 'ignore' = 'ignore';
  if (spec.logFile) {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    out = openSync(spec.logFile, 'a');
  }
  // Detached, own session and no pipes: it outlives the (maybe short-lived) reverting process.
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { PATH: process.env.PATH ?? '', ...spec.env },
    detached: true,
    stdio: ['ignore', out, out],
  });
  if (typeof out === 'number') closeSync(out);
  let failure: Error | undefined;
  child.once('error', (err) => {
    failure = err;
  });
  child.once('exit', (code, signal) => {
    failure ??= new Error(`exited (${signal ? `signal ${signal}` : `code ${code}`}) before listening`);
  });
  child.unref();
  const deadline = Date.now() + RESPAWN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (failure) break;
    if (await portAccepts(spec.port)) {
      const instance = child.pid === undefined ? undefined : currentInstance(child.pid);
      if (stackFile && instance) {
        const { updateStackProcess } = await import('./targets/stack-state.ts');
        updateStackProcess(stackFile, name, instance);
      }
      log(`${name}: started again (pid ${child.pid}) on port ${spec.port}`);
      return 'reverted';
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!failure && child.pid !== undefined) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const why = failure
    ? failure.message
    : `nothing listened on port ${spec.port} within ${RESPAWN_TIMEOUT_MS}ms`;
  const where = spec.logFile ? ` (output in ${spec.logFile})` : '';
  throw new FaultlineError('FL_REVERT_FAILED', `could not start ${name} again: ${why}${where}`);
}

/** Whether a TCP connection to 127.0.0.1:port succeeds. */
export function portAccepts(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A control-API call; any status outside `ok` (and 404, which the caller judges) throws. */
async function control(
  url: string,
  method: string,
  body?: unknown,
  ok: number[] = [200, 204, 404],
  headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' },
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
    });
  } catch (err) {
    throw new FaultlineError('FL_REVERT_FAILED', `${method} ${url} failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!ok.includes(res.status)) {
    const text = await res.text().catch(() => '');
    throw new FaultlineError(
      'FL_REVERT_FAILED',
      `${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`,
    );
  }
  await res.body?.cancel();
  return res;
}
