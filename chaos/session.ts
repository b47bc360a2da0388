import type { z } from 'zod';
import { FaultlineError } from '../core/errors.ts';
import { faultNames, findFault } from './faults/index.ts';
import type { Ledger, OutstandingFault, PlannedLine } from './ledger.ts';
import { applyRevert } from './revert.ts';
import type { Fault, RevertRecord, Target, TargetProvider } from './types.ts';

export interface PreparedFault {
  fault: Fault;
  target: Target;
  params: unknown;
  description: string;
  revert: RevertRecord;
}

function paramsError(fault: string, error: z.ZodError): FaultlineError {
  const lines = error.issues.map((i) => {
    const field = i.path.join('.') || '(params)';
    const message = i.code === 'unrecognized_keys' ? `unknown parameter(s) ${i.keys.join(', ')}` : i.message;
    return `  ${fault}: ${field}: ${message}`;
  });
  return new FaultlineError('FL_FAULT_PARAMS', `invalid parameters for fault ${fault}\n${lines.join('\n')}`);
}

/**
 * Injects faults with the revert guarantee: every fault is validated and its target resolved
 * before anything happens, written to the ledger before it is applied, and reverted (newest
 * first) by `revertAll`, which the caller runs on every way out. An injection in flight is
 * never reverted under its feet: `revertAll` waits for it to finish, then reverts it, so the
 * ledger never says `reverted` before `applied`.
 */
export class ChaosSession {
  /** Applied (or being reverted by revertAll), not yet reverted. */
  private readonly active: PlannedLine[] = [];
  /** Injections still running, by ledger id. */
  private readonly inFlight = new Map<string, { description: string; done: Promise<unknown> }>();

  constructor(
    private readonly ledger: Ledger,
    private readonly provider: TargetProvider,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Validates fault name, params and target. Touches nothing. */
  async prepare(faultName: string, targetName: string, rawParams: unknown): Promise<PreparedFault> {
    const fault = findFault(faultName);
    if (!fault) {
      throw new FaultlineError(
        'FL_FAULT_UNKNOWN',
        `unknown fault "${faultName}" (faults: ${faultNames().join(', ')})`,
      );
    }
    const parsed = fault.params.safeParse(rawParams ?? {});
    if (!parsed.success) throw paramsError(fault.name, parsed.error);
    const target = await this.provider.resolve(targetName);
    const unsupported = fault.precheck?.(target);
    if (unsupported)
      throw new FaultlineError('FL_FAULT_UNSUPPORTED', `${fault.name} on ${target.name}: ${unsupported}`);
    return {
      fault,
      target,
      params: parsed.data,
      description: fault.describe(target, parsed.data),
      revert: fault.planRevert(target, parsed.data),
    };
  }

  /** Ledger first, then the fault. If applying fails, it is reverted at once. */
  async inject(prepared: PreparedFault): Promise<InjectedFault> {
    const entry = this.ledger.plan({
      fault: prepared.fault.name,
      target: prepared.target.name,
      params: prepared.params,
      description: prepared.description,
      revert: prepared.revert,
    });
    const done = this.apply(prepared, entry).finally(() => this.inFlight.delete(entry.id));
    this.inFlight.set(entry.id, { description: prepared.description, done });
    return done;
  }

  private async apply(prepared: PreparedFault, entry: PlannedLine): Promise<InjectedFault> {
    try {
      await prepared.fault.inject(prepared.target, prepared.params);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.ledger.applyFailed(entry.id, message);
      if (err instanceof FaultlineError && err.code === 'FL_TARGET_STALE') {
        // Refused before any signal: nothing was applied, and undoing it could touch a stranger.
        this.ledger.reverted(entry.id, 'nothing-to-do');
        throw err;
      }
      await this.revertOne(entry);
      throw new FaultlineError('FL_FAULT_FAILED', `${prepared.description}: failed: ${message}`, {
        cause: err,
      });
    }
    this.ledger.applied(entry.id);
    this.active.push(entry);
    this.log(`injected: ${prepared.description}`);
    return entry;
  }

  /** Whether an injection is running now. */
  get injecting(): boolean {
    return this.inFlight.size > 0;
  }

  /** What is still to undo: injections in flight and applied faults not yet reverted. */
  pending(): string[] {
    return [
      ...[...this.inFlight.values()].map((f) => f.description),
      ...this.active.map((f) => f.description),
    ];
  }

  /** Reverts these faults now (newest first); ones already reverted are skipped. */
  async revert(faults: readonly InjectedFault[]): Promise<RevertResult[]> {
    const results: RevertResult[] = [];
    for (const fault of [...faults].reverse()) {
      const index = this.active.indexOf(fault);
      if (index === -1) continue;
      this.active.splice(index, 1);
      results.push(await this.revertOne(fault));
    }
    return results;
  }

  /**
   * Reverts every fault this session injected, newest first, once the injections in flight
   * finished (a failed one reverts itself). Safe to call more than once.
   */
  async revertAll(): Promise<{ reverted: number; failed: string[]; results: RevertResult[] }> {
    const results: RevertResult[] = [];
    while (this.inFlight.size > 0 || this.active.length > 0) {
      if (this.inFlight.size > 0) {
        await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
        continue;
      }
      const entry = this.active.pop() as PlannedLine;
      results.push(await this.revertOne(entry));
    }
    const failed = results.filter((r) => r.error !== undefined);
    return {
      reverted: results.length - failed.length,
      failed: failed.map((r) => `${r.description}: ${r.error}`),
      results,
    };
  }

  private async revertOne(entry: PlannedLine): Promise<RevertResult> {
    return revertEntry(this.ledger, entry, this.log, this.provider);
  }
}

/** A fault this session injected (its ledger line): what `revert` takes. */
export type InjectedFault = PlannedLine;

/** How undoing one fault went. */
export interface RevertResult {
  description: string;
  outcome: 'reverted' | 'nothing-to-do' | 'failed';
  error?: string;
}

async function revertEntry(
  ledger: Ledger,
  entry: PlannedLine | OutstandingFault,
  log: (line: string) => void,
  provider?: TargetProvider,
): Promise<RevertResult> {
  try {
    const outcome = (await provider?.revertOwn?.(entry.revert)) ?? (await applyRevert(entry.revert, log));
    ledger.reverted(entry.id, outcome);
    log(`reverted: ${entry.description}${outcome === 'nothing-to-do' ? ' (nothing left to undo)' : ''}`);
    return { description: entry.description, outcome };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ledger.revertFailed(entry.id, message);
    log(`revert FAILED: ${entry.description}: ${message}`);
    return { description: entry.description, outcome: 'failed', error: message };
  }
}

/** What the ledger still holds from process `pid` (this one by default): faults it did not revert yet. */
export function leftToRevert(ledger: Ledger, pid: number = process.pid): string[] {
  try {
    return ledger
      .outstanding()
      .filter((f) => f.pid === pid)
      .map((f) => f.description);
  } catch (err) {
    return [`(${ledger.file} unreadable: ${(err as Error).message})`];
  }
}

/** `faultline revert`: undoes everything the ledger still holds, from any process, newest first. */
export async function revertOutstanding(
  ledger: Ledger,
  log: (line: string) => void,
  which: (entry: { pid: number }) => boolean = () => true,
): Promise<{ reverted: number; failed: string[] }> {
  const open = ledger.outstanding().filter(which).reverse();
  let reverted = 0;
  const failed: string[] = [];
  for (const entry of open) {
    const result = await revertEntry(ledger, entry, log);
    if (result.error !== undefined) failed.push(`${entry.description}: ${result.error}`);
    else reverted++;
  }
  return { reverted, failed };
}
