/** Wall-clock milliseconds with sub-millisecond resolution: the balancer's events, the drill recorder and the journal share it. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
