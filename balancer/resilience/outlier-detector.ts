import type { OutlierConfig } from '../config/types.ts';

export type TryOutcome = 'success' | 'http-5xx' | 'gateway-failure';

/**
 * Passive health for one server (Envoy outlier detection, nginx max_fails): counts consecutive
 * 5xx answers and consecutive gateway failures (refused, reset, timed out) and asks for an
 * ejection when either count reaches its limit. Each repeated ejection lasts longer
 * (base × times ejected, capped), and is reset after a clean streak.
 */
export class OutlierDetector {
  private consecutive5xx = 0;
  private consecutiveGateway = 0;
  private ejections = 0;

  constructor(private readonly config: OutlierConfig) {}

  /** Returns the reason to eject, or undefined. */
  record(outcome: TryOutcome): string | undefined {
    if (outcome === 'success') {
      this.consecutive5xx = 0;
      this.consecutiveGateway = 0;
      return undefined;
    }
    if (outcome === 'http-5xx') {
      this.consecutive5xx++;
      const limit = this.config.consecutive5xx;
      if (limit > 0 && this.consecutive5xx >= limit)
        return `${this.consecutive5xx} consecutive 5xx responses`;
    } else {
      this.consecutiveGateway++;
      const limit = this.config.consecutiveGatewayFailures;
      if (limit > 0 && this.consecutiveGateway >= limit) {
        return `${this.consecutiveGateway} consecutive gateway failures`;
      }
    }
    return undefined;
  }

  /** Called when the ejection is carried out; returns its duration. */
  ejected(): number {
    this.ejections++;
    this.consecutive5xx = 0;
    this.consecutiveGateway = 0;
    return Math.min(this.config.baseEjectionTime * this.ejections, this.config.maxEjectionTime);
  }

  /** Ejections since the last clean streak: 2 or more means the server is flapping. */
  get timesEjected(): number {
    return this.ejections;
  }

  /** A server that served well after its ejection starts again from the base duration. */
  forgive(): void {
    this.ejections = 0;
  }
}
