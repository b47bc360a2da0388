import type { ServerResponse } from 'node:http';
import type { ResponseRelay } from './relay.ts';
import type { UpstreamTry } from './upstream-try.ts';

/**
 * One request's side of the client connection: the single `close` listener that tells the
 * tries still waiting, the relay, and a queued acquire that the client went away (or, for the
 * relay, that the response was delivered).
 */
export class ClientExchange {
  relay: ResponseRelay | undefined;
  private readonly tries: UpstreamTry[] = [];
  private abort: AbortController | undefined;

  constructor(private readonly res: ServerResponse) {
    res.on('close', this.onClose);
  }

  track(attempt: UpstreamTry): void {
    this.tries.push(attempt);
  }

  /** Aborted when the client goes away (made only for a request that has to wait for a slot). */
  signal(): AbortSignal {
    if (this.res.closed) return AbortSignal.abort();
    this.abort ??= new AbortController();
    return this.abort.signal;
  }

  private readonly onClose = (): void => {
    if (!this.res.writableFinished) {
      for (const attempt of this.tries) attempt.clientGone();
      this.abort?.abort();
    }
    this.relay?.closed();
  };
}
