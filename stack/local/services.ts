import { applyRevert } from '../../chaos/revert.ts';
import { TargetNotFoundError } from '../../chaos/targets/errors.ts';
import { PidTarget } from '../../chaos/targets/pid-target.ts';
import { readStackState, type StackProcess } from '../../chaos/targets/stack-state.ts';
import { assertProcessIdentity, instanceState, processState } from '../../core/process/identity.ts';

export type ServiceState = 'running' | 'paused' | 'stopped';

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  /** The running instance's pid; undefined when stopped. */
  pid?: number;
  url: string;
}

/** What happened: `start` on a running service and `stop` on a stopped one change nothing. */
export type ServiceOutcome = 'started' | 'stopped' | 'restarted' | 'already running' | 'already stopped';

/**
 * The services of a local stack another faultline process runs, known from its stack file:
 * what `docker compose ps|stop|start|restart` does for containers. Every action goes to the
 * instance the file records (re-read each time), never to a pid that names another process.
 */
export class LocalServices {
  constructor(private readonly stackFile: string) {
    assertProcessIdentity('managing a local stack');
  }

  private entries(): StackProcess[] {
    return readStackState(this.stackFile).processes;
  }

  private entry(name: string): StackProcess {
    const entries = this.entries();
    const found = entries.find((p) => p.name === name);
    if (!found)
      throw new TargetNotFoundError(
        name,
        entries.map((p) => p.name),
      );
    return found;
  }

  status(name?: string): ServiceStatus[] {
    const entries = name === undefined ? this.entries() : [this.entry(name)];
    return entries.map((p) => {
      const state = stateOf(p);
      return { name: p.name, state, ...(state === 'stopped' ? {} : { pid: p.pid }), url: p.url };
    });
  }

  async stop(name: string): Promise<ServiceOutcome> {
    const entry = this.entry(name);
    if (stateOf(entry) === 'stopped') return 'already stopped';
    await new PidTarget(entry, this.stackFile).stop();
    return 'stopped';
  }

  async start(name: string): Promise<ServiceOutcome> {
    const entry = this.entry(name);
    if (stateOf(entry) !== 'stopped') return 'already running';
    await applyRevert(new PidTarget(entry, this.stackFile).planRevert('stop'));
    return 'started';
  }

  async restart(name: string): Promise<ServiceOutcome> {
    await this.stop(name);
    await this.start(name);
    return 'restarted';
  }
}

function stateOf(p: StackProcess): ServiceState {
  if (instanceState(p) !== 'same') return 'stopped';
  const letter = processState(p.pid);
  // A zombie has exited: its parent (the shell that started it, or an init that does not
  // reap) just has not collected it yet.
  if (letter === undefined || letter === 'Z' || letter === 'X') return 'stopped';
  return letter === 'T' || letter === 't' ? 'paused' : 'running';
}
