import type { z } from 'zod';

/**
 * How to undo one fault, as plain JSON: it is written to the ledger before the fault is
 * applied, so `faultline revert` can undo it even after the process that injected it died.
 * Every revert is idempotent: undoing what was never done, or was undone already, is a no-op.
 */
export type RevertRecord =
  /** Resume a frozen local process; `startedAt` guards against a recycled pid. */
  | { kind: 'resume-process'; name: string; pid: number; startedAt: string }
  /**
   * Start a local process again after kill/stop, the way the stack started it. The new
   * instance is recorded in `stackFile` (when given) so later signals reach it and only it.
   */
  | { kind: 'respawn-process'; name: string; spec: LocalProcessSpec; stackFile?: string }
  /** Remove one toxic from a toxic proxy. */
  | { kind: 'remove-toxic'; controlUrl: string; proxy: string; toxic: string }
  /** Re-enable a toxic proxy that was switched off (`down`). */
  | { kind: 'enable-proxy'; controlUrl: string; proxy: string }
  /** Put a sample backend's knobs back. */
  | {
      kind: 'restore-knobs';
      controlUrl: string;
      knobs: Record<string, unknown>;
      /**
       * A container's control API is published on an ephemeral host port that changes when the
       * container starts again: the revert looks up where it is now. `plannedAt` (ms): a
       * container started since then runs a fresh process with its knobs at their defaults.
       */
      container?: { id: string; port: number; plannedAt: number };
    }
  /** Undo a container fault. */
  | {
      kind: 'docker';
      action: 'unpause' | 'start' | 'connect';
      container: string;
      /** The compose project it belonged to: re-checked, with the opt-in label, before acting. */
      project?: string;
      /** Every network `partition` disconnected, with the aliases to restore on reconnect. */
      networks?: Array<{ name: string; aliases: string[] }>;
      /** Older records: the one network disconnected, and its aliases. */
      network?: string;
      aliases?: string[];
    }
  /** Nothing to undo (the fault restores itself, e.g. restart). */
  | { kind: 'none' };

/** Enough to start a local process again, from any process (a crash leaves no handles). */
export interface LocalProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The port it listens on, so the balancer finds it again. */
  port: number;
  /** Where a process started by `faultline revert` writes its output. */
  logFile?: string;
}

export type TargetKind = 'local-process' | 'container';

/**
 * Something a fault acts on, resolved once before anything is injected. A capability a
 * target lacks is absent, and a fault that needs it fails before injecting.
 */
export interface Target {
  readonly name: string;
  readonly kind: TargetKind;
  /** Sample backend control API (`/_faultline/...`), when the target is one. */
  readonly controlUrl?: string;
  /** The container and container port behind `controlUrl`, for a container target. */
  readonly controlContainer?: { id: string; port: number };
  /** The toxic proxy in front of this target, when the stack has one. */
  readonly proxy?: { controlUrl: string; name: string };
  /** SIGKILL / docker kill. */
  kill(): Promise<void>;
  /** Graceful stop (SIGTERM, wait for exit / docker stop). */
  stop(): Promise<void>;
  /** Stop and start again; restores itself. */
  restart(): Promise<void>;
  /** Freeze (SIGSTOP / docker pause): accepts nothing, answers nothing. */
  pause(): Promise<void>;
  /**
   * Cut it off the network (docker network disconnect). Absent where unsupported. The
   * `partition` fault calls it on containers only: a local process is cut off by taking its
   * toxic proxy down, which is the `down` fault.
   */
  partition?(): Promise<void>;
  /** How to undo `action`, known before acting so the ledger can hold it first. */
  planRevert(action: 'kill' | 'stop' | 'pause' | 'partition'): RevertRecord;
}

/** The set of targets of one stack (local processes or one compose project's containers). */
export interface TargetProvider {
  readonly kind: 'local' | 'docker';
  /** Names that can be targeted, for messages and `--list`. */
  names(): Promise<string[]>;
  /** Throws TargetNotFoundError (naming the available targets) for an unknown name. */
  resolve(name: string): Promise<Target>;
  /**
   * Undoes `record` itself when it concerns a process this provider holds a live handle to, so
   * that it keeps tracking the process it starts again (a later fault then acts on the new one).
   * Undefined: not its own; the record is applied as any other process would (`applyRevert`).
   */
  revertOwn?(record: RevertRecord): Promise<'reverted' | 'nothing-to-do' | undefined>;
}

/**
 * One fault type, in its own file, registered by snake_case name (Toxiproxy's model). Its
 * parameters are one zod schema, `params`: the session and the drill loader validate with it,
 * and the drill API's types derive from it (`FaultParams` in faults/index.ts: `z.input` of each
 * schema), so what compiles and what loads cannot drift apart. A plan is written to the ledger
 * first, then `inject`. `Fault` without arguments is any fault, its params parsed but opaque.
 */
export interface Fault<Name extends string = string, Params extends z.ZodType = z.ZodType> {
  readonly name: Name;
  readonly summary: string;
  readonly params: Params;
  /** Why this fault cannot act on `target` (checked before anything is injected), or undefined. */
  precheck?(target: Target): string | undefined;
  /** One line for --dry-run and the ledger: what would be done where. */
  describe(target: Target, params: z.output<Params>): string;
  /** The revert record, known before anything is applied. */
  planRevert(target: Target, params: z.output<Params>): RevertRecord;
  /** Applies the fault. Must not be called without a ledger entry for its planRevert. */
  inject(target: Target, params: z.output<Params>): Promise<void>;
}

/**
 * Declares a fault: keeps its literal name and its schema's type, and types the methods'
 * `params` as that schema's output (durations in ms, defaults filled in).
 */
export function defineFault<const Name extends string, Params extends z.ZodType>(
  fault: Fault<Name, Params>,
): Fault<Name, Params> {
  return fault;
}
