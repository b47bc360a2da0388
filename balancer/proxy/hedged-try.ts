import type { BackendServer } from '../pool/backend-server.ts';
import type { TryControl, TryResult } from './forward-once.ts';

/** One try in flight: its server, when it began, how to cut it, and how it ends. */
export interface TryRun {
  server: BackendServer;
  started: number;
  control: TryControl;
  result: Promise<TryResult>;
  /** Sent because the first try was slow. */
  hedge: boolean;
}

export interface RaceOutcome {
  /** The first response, or when none came, the try that ended last. */
  decided: { run: TryRun; result: TryResult };
  /** Every other try with how it ended (the slower ones cut once a response won). */
  others: { run: TryRun; result: TryResult }[];
}

const HEDGE_DUE = Symbol('hedge due');

/**
 * Waits for `first`; if it has not answered within `delayMs`, `startHedge` may send a second
 * try to another server, and whichever answers first wins while the other is cut. A try that
 * fails while the other is still out does not decide: the other may still answer.
 */
export async function raceWithHedge(
  first: TryRun,
  delayMs: number,
  startHedge: () => TryRun | undefined,
): Promise<RaceOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const due = new Promise<typeof HEDGE_DUE>((resolve) => {
    timer = setTimeout(() => resolve(HEDGE_DUE), delayMs);
  });
  const early = await Promise.race([first.result, due]);
  clearTimeout(timer);
  if (early !== HEDGE_DUE) return { decided: { run: first, result: early }, others: [] };
  const hedge = startHedge();
  if (!hedge) return { decided: { run: first, result: await first.result }, others: [] };

  const runs = [first, hedge];
  const ended: { run: TryRun; result: TryResult }[] = [];
  const settled = runs.map((run) =>
    run.result.then((result) => {
      ended.push({ run, result });
      return { run, result };
    }),
  );
  // The first response; else, once both ended, the last to end.
  let decided: { run: TryRun; result: TryResult } | undefined;
  while (!decided && ended.length < runs.length) {
    const next = await Promise.race(settled.filter((_, i) => !ended.some((e) => e.run === runs[i])));
    if (next.result.kind === 'response' || next.result.kind === 'client-gone') decided = next;
  }
  decided ??= ended[ended.length - 1] as { run: TryRun; result: TryResult };
  for (const run of runs) if (run !== decided.run) run.control.cancel?.('another try answered first');
  const others = await Promise.all(
    runs.filter((run) => run !== decided.run).map(async (run) => ({ run, result: await run.result })),
  );
  return { decided, others };
}
