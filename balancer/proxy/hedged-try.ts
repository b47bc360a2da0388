import type { TryResult, UpstreamTry } from './upstream-try.ts';

export interface RaceOutcome {
  /** The try whose answer decides the request. */
  decided: { run: UpstreamTry; result: TryResult };
  /** The other try with how it ended (cut once the decided one answered). */
  others: { run: UpstreamTry; result: TryResult }[];
}

/**
 * `hedge` was sent because `first` was slow: from now on the first response cancels the other
 * try. A try that fails while the other is still out does not decide: the other may answer.
 * Nothing here runs for a request that is never hedged (no promise, no timer on that path).
 */
export function raceHedge(first: UpstreamTry, hedge: UpstreamTry): void {
  first.hedgedBy = hedge;
  void hedge.result.then((result) => {
    if (result.kind === 'response') first.cancel('another try answered first');
  });
}

/** `first` ended with `result` while its hedge was out: which of the two decides. */
export async function decideRace(
  first: UpstreamTry,
  result: TryResult,
  hedge: UpstreamTry,
): Promise<RaceOutcome> {
  if (result.kind === 'response' || result.kind === 'client-gone') {
    hedge.cancel('another try answered first');
    return { decided: { run: first, result }, others: [{ run: hedge, result: await hedge.result }] };
  }
  // The first failed, or was cancelled because the hedge answered: the hedge decides.
  const hedgeResult = await hedge.result;
  return { decided: { run: hedge, result: hedgeResult }, others: [{ run: first, result }] };
}
