import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BALANCER_EVENT_KINDS,
  type BalancerEvent,
  type BalancerEventKind,
  type EventBus,
  isBalancerEventKind,
} from '../events.ts';
import { AdminHttpError } from './http-json.ts';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** A client this far behind is cut off; it reconnects with Last-Event-ID and replays. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** `?kinds=a,b` → the set of kinds, or undefined for all kinds. Unknown kinds are a 400. */
export function parseKinds(value: string | null): ReadonlySet<BalancerEventKind> | undefined {
  if (value === null || value.trim() === '') return undefined;
  const kinds = new Set<BalancerEventKind>();
  for (const raw of value.split(',')) {
    const kind = raw.trim();
    if (kind === '') continue;
    if (!isBalancerEventKind(kind)) {
      throw new AdminHttpError(
        400,
        'invalid_query',
        `unknown event kind "${kind}" in "kinds"; known kinds: ${BALANCER_EVENT_KINDS.join(', ')}`,
      );
    }
    kinds.add(kind);
  }
  return kinds.size > 0 ? kinds : undefined;
}

/** The sequence number to replay after: `Last-Event-ID` (a reconnect) wins over `?since=`. */
export function parseSince(req: IncomingMessage, url: URL): number | undefined {
  const header = req.headers['last-event-id'];
  const [raw, where] =
    typeof header === 'string' && header.trim() !== ''
      ? [header.trim(), 'Last-Event-ID header']
      : [url.searchParams.get('since'), '"since"'];
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new AdminHttpError(
      400,
      'invalid_query',
      `${where} must be a non-negative integer event seq, got "${raw}"`,
    );
  }
  return Number(raw);
}

/** One SSE message for an event. JSON never contains a raw newline, so one `data:` line suffices. */
export function formatEvent(event: BalancerEvent): string {
  return `id: ${event.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * The open `GET /events` streams of one admin server: replay from the bus's recent events,
 * then live events, with heartbeats. `closeAll()` ends them all (admin server shutdown).
 */
export class EventStreams {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly events: EventBus,
    private readonly heartbeatMs = DEFAULT_HEARTBEAT_MS,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Validates the query (throws AdminHttpError before anything is sent), then streams. */
  serve(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const kinds = parseKinds(url.searchParams.get('kinds'));
    let since = parseSince(req, url);
    const latest = this.events.since(0).at(-1)?.seq ?? 0;
    // A seq from before a restart of the balancer: this bus never reached it, replay everything.
    if (since !== undefined && since > latest) since = 0;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);

    let lastSeq = since ?? 0;
    let closed = false;
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), this.heartbeatMs);
    heartbeat.unref();
    const end = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      this.open.delete(end);
      if (!res.writableEnded) res.end();
    };
    const send = (event: BalancerEvent) => {
      if (closed || event.seq <= lastSeq) return;
      lastSeq = event.seq;
      if (kinds && !kinds.has(event.kind)) return;
      res.write(formatEvent(event));
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.write(': too far behind; reconnect with Last-Event-ID to resume\n\n');
        end();
      }
    };
    // Subscribing and replaying happen in one synchronous step, so no event falls in between;
    // `lastSeq` drops an event that would come twice.
    const unsubscribe = this.events.subscribe(send);
    this.open.add(end);
    res.once('close', end);

    res.write('retry: 1000\n\n');
    if (since !== undefined) {
      const replay = this.events.since(since);
      const first = replay[0];
      if (first && first.seq > since + 1) {
        res.write(`: gap: events ${since + 1}..${first.seq - 1} are no longer retained\n\n`);
      }
      for (const event of replay) send(event);
    }
  }

  closeAll(): void {
    for (const end of [...this.open]) end();
  }
}
