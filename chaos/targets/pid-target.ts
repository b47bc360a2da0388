import { FaultlineError } from '../../balancer/errors.ts';
import { applyRevert } from '../revert.ts';
import { ToxicProxyClient } from '../toxic-proxy/index.ts';
import type { RevertRecord, Target } from '../types.ts';
import { findListeningPid } from './port-owner.ts';
import { processStartTime, waitForExit } from './process-identity.ts';
import type { StackProcess } from './stack-state.ts';

/**
 * A process of a local stack that another faultline process started. It is found by the
 * port it listens on at the moment of each action, so restarts in between do not matter.
 */
export class PidTarget implements Target {
  readonly kind = 'local-process' as const;
  readonly name: string;
  readonly controlUrl?: string;
  readonly proxy?: { controlUrl: string; name: string };

  constructor(private readonly entry: StackProcess) {
    this.name = entry.name;
    if (entry.controlUrl) this.controlUrl = entry.controlUrl;
    if (entry.proxy) {
      this.proxy = entry.proxy;
      const proxy = entry.proxy;
      this.partition = async () => {
        await new ToxicProxyClient(proxy.controlUrl).setEnabled(proxy.name, false);
      };
    }
  }

  partition?: () => Promise<void>;

  private pid(action: string): number {
    const pid = findListeningPid(this.entry.port);
    if (pid === undefined) {
      throw new FaultlineError(
        'FL_FAULT_FAILED',
        `cannot ${action} ${this.name}: nothing listens on port ${this.entry.port} (is it already down?)`,
      );
    }
    return pid;
  }

  async kill(): Promise<void> {
    const pid = this.pid('kill');
    process.kill(pid, 'SIGKILL');
    if (!(await waitForExit(pid, 5000)))
      throw new Error(`${this.name} (pid ${pid}) did not exit after SIGKILL`);
  }

  async stop(): Promise<void> {
    const pid = this.pid('stop');
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGTERM');
    if (!(await waitForExit(pid, 15_000)))
      throw new Error(`${this.name} (pid ${pid}) did not exit within 15s of SIGTERM`);
  }

  async restart(): Promise<void> {
    await this.stop();
    await applyRevert(this.planRevert('stop'));
  }

  async pause(): Promise<void> {
    process.kill(this.pid('pause'), 'SIGSTOP');
  }

  planRevert(action: 'kill' | 'stop' | 'pause' | 'partition'): RevertRecord {
    switch (action) {
      case 'kill':
      case 'stop':
        return { kind: 'respawn-process', name: this.name, spec: this.entry.spec };
      case 'pause': {
        const pid = this.pid('pause');
        return { kind: 'resume-process', name: this.name, pid, startedAt: processStartTime(pid) ?? '' };
      }
      case 'partition':
        if (!this.entry.proxy) throw new Error(`${this.name} has no toxic proxy in front of it`);
        return {
          kind: 'enable-proxy',
          controlUrl: this.entry.proxy.controlUrl,
          proxy: this.entry.proxy.name,
        };
    }
  }
}
