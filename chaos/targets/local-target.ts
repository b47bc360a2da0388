import { instanceState } from '../../core/process/identity.ts';
import type { ChildProcessHandle } from '../../core/process/launcher.ts';
import type { LocalProcessSpec, RevertRecord, Target, TargetProvider } from '../types.ts';
import { TargetNotFoundError } from './errors.ts';
import { recordedInstance } from './stack-state.ts';

export interface ProxyRef {
  controlUrl: string;
  name: string;
}

export interface LocalTargetOptions {
  /** The toxic proxy in front of a backend, by backend name: enables `partition` for it. */
  proxies?: Record<string, ProxyRef>;
  /** Where a process started again by `faultline revert` writes its output, by backend name. */
  logFiles?: Record<string, string>;
  /** Processes that are not sample backends (no `/_faultline` control API), e.g. the balancer. */
  withoutControlApi?: readonly string[];
  /** The stack file that records each process instance; a revert that starts one again updates it. */
  stackFile?: string;
  /** Called when a process was started again (restart), with the new handle. */
  onReplace?: (fresh: ChildProcessHandle) => void;
}

/** The spec that starts `b` again on its port from any process (its relaunch command line). */
export function localProcessSpec(b: ChildProcessHandle, logFile?: string): LocalProcessSpec {
  return { ...b.relaunch, port: b.port, ...(logFile ? { logFile } : {}) };
}

/**
 * Processes this process started as children on 127.0.0.1 (sample backends, the balancer). It
 * holds the live handles: after `restart` it hands out the new process (`current(name)`).
 */
export class LocalTargetProvider implements TargetProvider {
  readonly kind = 'local' as const;
  private readonly processes = new Map<string, ChildProcessHandle>();

  constructor(
    backends: Iterable<ChildProcessHandle>,
    private readonly options: LocalTargetOptions = {},
  ) {
    for (const b of backends) this.processes.set(b.name, b);
  }

  static fromBackends(
    backends: Iterable<ChildProcessHandle>,
    options?: LocalTargetOptions,
  ): LocalTargetProvider {
    return new LocalTargetProvider(backends, options);
  }

  async names(): Promise<string[]> {
    return [...this.processes.keys()];
  }

  /** The live handle of `name` (the newest process after a restart). */
  current(name: string): ChildProcessHandle {
    const b = this.processes.get(name);
    if (!b) throw new TargetNotFoundError(name, [...this.processes.keys()]);
    return b;
  }

  /** Replaces the handle of `name`, e.g. after the caller started it again itself. */
  replace(b: ChildProcessHandle): void {
    this.processes.set(b.name, b);
    this.options.onReplace?.(b);
  }

  /** A killed or stopped process of this stack starts again through its handle, and stays tracked. */
  async revertOwn(record: RevertRecord): Promise<'reverted' | 'nothing-to-do' | undefined> {
    if (record.kind !== 'respawn-process') return undefined;
    const old = this.processes.get(record.name);
    if (!old || old.port !== record.spec.port) return undefined;
    if (old.child.exitCode === null && old.child.signalCode === null) return 'nothing-to-do';
    // Started again from outside (`faultline stack start`, an operator's runbook step): it runs.
    const recorded = this.options.stackFile
      ? recordedInstance(this.options.stackFile, record.name)
      : undefined;
    if (recorded && recorded.pid !== old.child.pid && instanceState(recorded) === 'same')
      return 'nothing-to-do';
    this.replace(await old.respawn());
    return 'reverted';
  }

  async resolve(name: string): Promise<Target> {
    this.current(name);
    const hasControlApi = !this.options.withoutControlApi?.includes(name);
    return new LocalProcessTarget(
      this,
      name,
      this.options.proxies?.[name],
      this.options.logFiles?.[name],
      hasControlApi,
      this.options.stackFile,
    );
  }
}

class LocalProcessTarget implements Target {
  readonly kind = 'local-process' as const;
  readonly proxy?: ProxyRef;

  constructor(
    private readonly provider: LocalTargetProvider,
    readonly name: string,
    proxy: ProxyRef | undefined,
    private readonly logFile: string | undefined,
    private readonly hasControlApi: boolean,
    private readonly stackFile: string | undefined,
  ) {
    if (proxy) this.proxy = proxy;
  }

  private get process(): ChildProcessHandle {
    return this.provider.current(this.name);
  }

  get controlUrl(): string | undefined {
    return this.hasControlApi ? this.process.url : undefined;
  }

  async kill(): Promise<void> {
    await this.process.kill();
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  async restart(): Promise<void> {
    const old = this.process;
    await old.stop();
    this.provider.replace(await old.respawn());
  }

  async pause(): Promise<void> {
    this.process.freeze();
  }

  planRevert(action: 'kill' | 'stop' | 'pause' | 'partition'): RevertRecord {
    const b = this.process;
    switch (action) {
      case 'kill':
      case 'stop':
        return {
          kind: 'respawn-process',
          name: this.name,
          spec: localProcessSpec(b, this.logFile),
          ...(this.stackFile ? { stackFile: this.stackFile } : {}),
        };
      case 'pause':
        // '' where /proc is missing (not Linux): applyRevert then never signals (it cannot prove the instance).
        return { kind: 'resume-process', name: this.name, pid: b.pid, startedAt: b.startTime };
      case 'partition':
        // The partition fault takes a local target's toxic proxy down (the down fault's revert).
        throw new Error(`a local target has no network of its own to leave: ${this.name}`);
    }
  }
}
