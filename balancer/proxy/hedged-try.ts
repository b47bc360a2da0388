import type { TryResult, UpstreamTry } from './upstream-try.ts';

export interface RaceOutcome {
  /** The first response, or when none came, the try that ended last. */
  decided: { run: UpstreamTry; result: TryResult };
  /** Every other try with how it ended (the slower ones cut once a response won). */
  others: { run: UpstreamTry; result: TryResult }[];
}

/**
 * Waits for `first`, launched with a `slowAfterMs`; if it is marked slow before answering,
 * `startHedge` may send a second try to another server, and whichever answers first wins while
 * the other is cut. A try that fails while the other is still out does not decide: the other
 * may still answer. The first try's own timer marks it slow: no timer here.
 */
export function raceWithHedge(
  first: UpstreamTry,
  startHedge: () => UpstreamTry | undefined,
): Promise<RaceOutcome> {
  return new Promise((resolve) => {
    let slow = false;
    first.onSlow = () => {
      slow = true;
      const hedge = startHedge();
      if (hedge) resolve(raceBoth(first, hedge));
      else void first.result.then((result) => resolve({ decided: { run: first, result }, others: [] }));
    };
    void first.result.then((result) => {
      if (!slow) resolve({ decided: { run: first, result }, others: [] });
    });
  });
}

async function raceBoth(first: UpstreamTry, hedge: UpstreamTry): Promise<RaceOutcome> {
  const runs = [first, hedge];
  const ended: { run: UpstreamTry; result: TryResult }[] = [];
  const settled = runs.map((run) =>
    run.result.then((result) => {
      ended.push({ run, result });
      return { run, result };
    }),
  );
  // The first response; else, once both ended, the last to end.
  let decided: { run: UpstreamTry; result: TryResult } | undefined;
  while (!decided && ended.length < runs.length) {
    const next = await Promise.race(settled.filter((_, i) => !ended.some((e) => e.run === runs[i])));
    if (next.result.kind === 'response' || next.result.kind === 'client-gone') decided = next;
  }
  decided ??= ended[ended.length - 1] as { run: UpstreamTry; result: TryResult };
  for (const run of runs) if (run !== decided.run) run.cancel('another try answered first');
  const others = await Promise.all(
    runs.filter((run) => run !== decided.run).map(async (run) => ({ run, result: await run.result })),
  );
  return { decided, others };
}
