import type { ServerResponse } from 'node:http';

/** What `GET /_faultline/stats` answers. Control routes are never counted. */
export interface StatsSnapshot {
  /** Requests answered or in progress, excluding `/health` (counted in `healthChecks`). */
  requests: number;
  /** Final statuses of `requests`, keyed by status code. */
  byStatus: Record<string, number>;
  /** `GET|HEAD /health` requests received. */
  healthChecks: number;
  /** Requests (including health checks) received but not yet answered. */
  inflight: number;
  /** Requests currently parked by the `hang` knob. */
  hung: number;
  /** Requests whose client went away before the answer was sent. */
  aborted: number;
  websockets: { open: number; total: number };
  /** When counting started (start or last `DELETE /_faultline/stats`). */
  since: string;
}

export class BackendStats {
  private requests = 0;
  private byStatus: Record<string, number> = {};
  private healthChecks = 0;
  private inflight = 0;
  private aborted = 0;
  private wsTotal = 0;
  private wsOpen = 0;
  private since = new Date();

  constructor(private readonly hungCount: () => number) {}

  /** Counts a request that reached the application routes (control routes are not counted). */
  track(isHealth: boolean, res: ServerResponse): void {
    if (isHealth) this.healthChecks++;
    else this.requests++;
    this.inflight++;
    let finished = false;
    res.once('finish', () => {
      finished = true;
      if (isHealth) return;
      const key = String(res.statusCode);
      this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    });
    res.once('close', () => {
      this.inflight--;
      if (!finished) this.aborted++;
    });
  }

  webSocketOpened(): void {
    this.wsTotal++;
    this.wsOpen++;
  }

  webSocketClosed(): void {
    this.wsOpen--;
  }

  snapshot(): StatsSnapshot {
    return {
      requests: this.requests,
      byStatus: { ...this.byStatus },
      healthChecks: this.healthChecks,
      inflight: this.inflight,
      hung: this.hungCount(),
      aborted: this.aborted,
      websockets: { open: this.wsOpen, total: this.wsTotal },
      since: this.since.toISOString(),
    };
  }

  /** Zeroes the counters; `inflight`, `hung` and open websockets describe the present, so they stay. */
  reset(): void {
    this.requests = 0;
    this.byStatus = {};
    this.healthChecks = 0;
    this.aborted = 0;
    this.wsTotal = this.wsOpen;
    this.since = new Date();
  }
}
