import { FaultlineError } from '../../core/errors.ts';
import { type ProcessInstance, signalInstance, waitForExit } from '../../core/process/identity.ts';
import { applyRevert } from '../revert.ts';
import type { RevertRecord, Target } from '../types.ts';
import { recordedInstance, type StackProcess } from './stack-state.ts';

/**
 * A process of a local stack that another faultline process started, known by the pid and
 * start time recorded in the stack file. Every signal goes to that instance only: the file is
 * re-read before each action (a revert in another shell may have started it again), and a pid
 * that names another process now is refused (StaleTargetError).
 */
export class PidTarget implements Target {
  readonly kind = 'local-process' as const;
  readonly name: string;
  readonly controlUrl?: string;
  readonly proxy?: { controlUrl: string; name: string };

  constructor(
    private readonly entry: StackProcess,
    private readonly stackFile: string,
  ) {
    this.name = entry.name;
    if (entry.controlUrl) this.controlUrl = entry.controlUrl;
    if (entry.proxy) this.proxy = entry.proxy;
  }

  private instance(): ProcessInstance {
    return recordedInstance(this.stackFile, this.name) ?? this.entry;
  }

  /** Sends `signals` in order to the recorded instance; throws when it is not running. */
  private signal(action: string, ...signals: NodeJS.Signals[]): ProcessInstance {
    const instance = this.instance();
    for (const sig of signals) {
      if (!signalInstance(this.name, instance, sig, this.stackFile)) {
        throw new FaultlineError(
          'FL_FAULT_FAILED',
          `cannot ${action} ${this.name}: pid ${instance.pid} is not running (is it already down?)`,
        );
      }
    }
    return instance;
  }

  async kill(): Promise<void> {
    const instance = this.signal('kill', 'SIGKILL');
    if (!(await waitForExit(instance, 5000)))
      throw new Error(`${this.name} (pid ${instance.pid}) did not exit after SIGKILL`);
  }

  async stop(): Promise<void> {
    const instance = this.signal('stop', 'SIGCONT', 'SIGTERM');
    if (!(await waitForExit(instance, 15_000)))
      throw new Error(`${this.name} (pid ${instance.pid}) did not exit within 15s of SIGTERM`);
  }

  async restart(): Promise<void> {
    await this.stop();
    await applyRevert(this.planRevert('stop'));
  }

  async pause(): Promise<void> {
    this.signal('pause', 'SIGSTOP');
  }

  planRevert(action: 'kill' | 'stop' | 'pause' | 'partition'): RevertRecord {
    switch (action) {
      case 'kill':
      case 'stop':
        return { kind: 'respawn-process', name: this.name, spec: this.entry.spec, stackFile: this.stackFile };
      case 'pause': {
        const { pid, startTime } = this.instance();
        return { kind: 'resume-process', name: this.name, pid, startedAt: startTime };
      }
      case 'partition':
        // The partition fault takes a local target's toxic proxy down (the down fault's revert).
        throw new Error(`a local target has no network of its own to leave: ${this.name}`);
    }
  }
}
