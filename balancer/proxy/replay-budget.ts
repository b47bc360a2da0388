/**
 * One memory budget for every buffered request body together. A body that does not fit is
 * streamed through once instead of buffered: a burst of large uploads costs retries, not memory.
 */
export class ReplayBudget {
  private usedBytes = 0;

  /** A reload may change it; a smaller budget refuses new bodies until enough are freed. */
  constructor(public capacity: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Takes `bytes` from the budget if they fit; false (and nothing taken) if not. */
  tryReserve(bytes: number): boolean {
    if (this.usedBytes + bytes > this.capacity) return false;
    this.usedBytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }
}
