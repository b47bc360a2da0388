/** A warm-up ramp: the rate grows linearly from `fromFraction × rate` to `rate` over `durationMs`. */
export interface Ramp {
  durationMs: number;
  /** Share of the full rate at the start of the ramp, (0, 1]; default 0.1. */
  fromFraction?: number;
}

/** When each request of an open-model load is due, as k6's ramping-arrival-rate computes it. */
export interface ArrivalSchedule {
  /** Milliseconds after the start at which request `i` (from 0) is due. */
  offsetOf(i: number): number;
  /** How many requests are due before `ms` milliseconds have passed. */
  countWithin(ms: number): number;
}

export const DEFAULT_RAMP_FROM = 0.1;

/**
 * Constant `rate` per second, after an optional linear ramp. During the ramp the requests due by
 * t are N(t) = R·(f·t + (1−f)·t²/2W) (R per ms, f the start fraction, W the ramp's length);
 * request i is due at the t where N(t) = i.
 */
export function arrivalSchedule(rate: number, ramp?: Ramp): ArrivalSchedule {
  const perMs = rate / 1000;
  const width = ramp && ramp.durationMs > 0 ? ramp.durationMs : 0;
  const from = Math.min(1, Math.max(Number.EPSILON, ramp?.fromFraction ?? DEFAULT_RAMP_FROM));
  const a = width > 0 ? (perMs * (1 - from)) / (2 * width) : 0;
  const b = perMs * from;
  const rampCount = width > 0 ? perMs * width * ((1 + from) / 2) : 0;
  return {
    offsetOf(i) {
      if (i >= rampCount) return width + (i - rampCount) / perMs;
      if (a === 0) return i / b;
      return (-b + Math.sqrt(b * b + 4 * a * i)) / (2 * a);
    },
    countWithin(ms) {
      if (ms <= 0) return 0;
      const due = ms >= width ? rampCount + (ms - width) * perMs : a * ms * ms + b * ms;
      return Math.ceil(due - 1e-9);
    },
  };
}
