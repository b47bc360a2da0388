import { CONTROL_PREFIX } from './control-routes.ts';
import type { Knobs } from './knobs.ts';
import type { StatsSnapshot } from './stats.ts';

/** The control API answered with an error, or could not be reached (`status` undefined). */
export class BackendControlError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackendControlError';
  }
}

/** Typed client for the sample backend's control API (`/_faultline`, see control-routes.ts). */
export class BackendControlClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    this.base = `${baseUrl.replace(/\/+$/, '')}${CONTROL_PREFIX}`;
  }

  /** The knobs in force. */
  async knobs(): Promise<Knobs> {
    return (await this.call('GET', '/knobs')) as Knobs;
  }

  /** Changes the knobs `patch` names and returns those in force; a bad value is refused (400). */
  async setKnobs(patch: Partial<Knobs> | Record<string, unknown>): Promise<Knobs> {
    return (await this.call('PUT', '/knobs', patch)) as Knobs;
  }

  /** Answers every request held by `hang`; returns how many there were. */
  async release(): Promise<number> {
    return ((await this.call('POST', '/release')) as { released: number }).released;
  }

  /** The knobs back to the values the backend started with, held requests released. */
  async reset(): Promise<{ knobs: Knobs; released: number }> {
    return (await this.call('POST', '/reset')) as { knobs: Knobs; released: number };
  }

  async stats(): Promise<StatsSnapshot> {
    return (await this.call('GET', '/stats')) as StatsSnapshot;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (err) {
      throw new BackendControlError(`${method} ${url} failed: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    const text = await res.text();
    if (!res.ok) {
      throw new BackendControlError(
        `${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`,
        res.status,
      );
    }
    return text ? JSON.parse(text) : undefined;
  }
}
