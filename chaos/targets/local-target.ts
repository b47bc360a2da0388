import { type BackendProcess, backendLaunchSpec, respawnBackend } from '../../backends/spawn.ts';
import type { LocalProcessSpec, RevertRecord, Target, TargetProvider } from '../types.ts';
import { TargetNotFoundError } from './errors.ts';
import { processStartTime } from './process-identity.ts';

export interface ProxyRef {
  controlUrl: string;
  name: string;
}

export interface LocalTargetOptions {
  /** The toxic proxy in front of a backend, by backend name: enables `partition` for it. */
  proxies?: Record<string, ProxyRef>;
  /** Where a process started again by `faultline revert` writes its output, by backend name. */
  logFiles?: Record<string, string>;
}

/**
 * The spec that starts backend `b` again on its port from any process: the command line
 * spawn.ts uses (`node --import tsx backends/main.ts`, cwd the repo root) and its env overrides.
 */
export function localProcessSpec(b: BackendProcess, logFile?: string): LocalProcessSpec {
  return { ...backendLaunchSpec(b.name, b.port, b.env), port: b.port, ...(logFile ? { logFile } : {}) };
}

/**
 * Sample backends this process started as children on 127.0.0.1 (backends/spawn.ts). It holds
 * the live handles: after `restart` it hands out the new process (`current(name)`).
 */
export class LocalTargetProvider implements TargetProvider {
  readonly kind = 'local' as const;
  private readonly backends = new Map<string, BackendProcess>();

  constructor(
    backends: Iterable<BackendProcess>,
    private readonly options: LocalTargetOptions = {},
  ) {
    for (const b of backends) this.backends.set(b.name, b);
  }

  static fromBackends(backends: Iterable<BackendProcess>, options?: LocalTargetOptions): LocalTargetProvider {
    return new LocalTargetProvider(backends, options);
  }

  async names(): Promise<string[]> {
    return [...this.backends.keys()];
  }

  /** The live handle of `name` (the newest process after a restart). */
  current(name: string): BackendProcess {
    const b = this.backends.get(name);
    if (!b) throw new TargetNotFoundError(name, [...this.backends.keys()]);
    return b;
  }

  /** Replaces the handle of `name`, e.g. after the caller started it again itself. */
  replace(b: BackendProcess): void {
    this.backends.set(b.name, b);
  }

  async resolve(name: string): Promise<Target> {
    this.current(name);
    return new LocalProcessTarget(this, name, this.options.proxies?.[name], this.options.logFiles?.[name]);
  }
}

class LocalProcessTarget implements Target {
  readonly kind = 'local-process' as const;
  readonly proxy?: ProxyRef;
  partition?: () => Promise<void>;

  constructor(
    private readonly provider: LocalTargetProvider,
    readonly name: string,
    proxy: ProxyRef | undefined,
    private readonly logFile: string | undefined,
  ) {
    if (proxy) {
      this.proxy = proxy;
      // Proxy down (Toxiproxy's enabled=false): new connections refused, open ones cut.
      this.partition = async () => {
        const url = `${proxy.controlUrl}/proxies/${encodeURIComponent(proxy.name)}`;
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ enabled: false }),
          signal: AbortSignal.timeout(5000),
        });
        if (!res.ok) throw new Error(`toxic proxy POST ${url} answered ${res.status}: ${await res.text()}`);
      };
    }
  }

  private get process(): BackendProcess {
    return this.provider.current(this.name);
  }

  get controlUrl(): string {
    return this.process.url;
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
    this.provider.replace(await respawnBackend(old));
  }

  async pause(): Promise<void> {
    this.process.freeze();
  }

  planRevert(action: 'kill' | 'stop' | 'pause' | 'partition'): RevertRecord {
    const b = this.process;
    switch (action) {
      case 'kill':
      case 'stop':
        return { kind: 'respawn-process', name: this.name, spec: localProcessSpec(b, this.logFile) };
      case 'pause':
        // '' where /proc is missing (not Linux): applyRevert then never signals (it cannot prove the instance).
        return {
          kind: 'resume-process',
          name: this.name,
          pid: b.pid,
          startedAt: processStartTime(b.pid) ?? '',
        };
      case 'partition':
        if (!this.proxy) {
          throw new Error(
            `partition needs a toxic proxy in front of local target ${this.name}, or a docker target`,
          );
        }
        return { kind: 'enable-proxy', controlUrl: this.proxy.controlUrl, proxy: this.proxy.name };
    }
  }
}
