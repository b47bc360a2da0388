import type { HedgeConfig } from '../config/types.ts';

const WINDOW = 512;
/** Fewer samples than this say too little: the cap is used until then. */
const MIN_SAMPLES = 32;
/** The p99 is recomputed after this many new samples (a sort of WINDOW numbers). */
const RECOMPUTE_EVERY = 64;

/**
 * How long a try may go without response headers before a hedge is sent: `factor` × the p99
 * of the pool's last 512 successful times to response headers, within [floor, cap]. A frozen
 * server answers nothing, so it never drags the p99 up; a slow endpoint that is 1 % of the
 * traffic does, and is not hedged for being slow.
 */
export class HedgeDelay {
  private readonly samples = new Float64Array(WINDOW);
  private count = 0;
  private next = 0;
  private fresh = 0;
  private current: number;

  constructor(private readonly config: HedgeConfig) {
    this.current = config.cap;
  }

  record(latencyMs: number): void {
    this.samples[this.next] = latencyMs;
    this.next = (this.next + 1) % WINDOW;
    if (this.count < WINDOW) this.count++;
    if (++this.fresh >= RECOMPUTE_EVERY && this.count >= MIN_SAMPLES) {
      this.fresh = 0;
      const sorted = this.samples.slice(0, this.count).sort();
      const p99 = sorted[Math.min(this.count - 1, Math.ceil(this.count * 0.99) - 1)] as number;
      this.current = Math.min(this.config.cap, Math.max(this.config.floor, p99 * this.config.factor));
    }
  }

  get delayMs(): number {
    return this.current;
  }
}
