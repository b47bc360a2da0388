import type { Socket } from 'node:net';
import type { ToxicContext, ToxicInfo, ToxicStage, ToxicType } from './toxic.ts';

/** Bytes held inside toxics (or queued for the destination) before the source is paused. */
const HIGH_WATER = 256 * 1024;

interface Entry {
  name: string;
  /** Undefined when this connection rolled "no" on the toxic's toxicity. */
  stage: ToxicStage | undefined;
}

/** What a link may do to the connection it belongs to. */
export interface ConnectionControl {
  close(): void;
  reset(): void;
}

/**
 * One direction of one connection: source socket → toxics (in the order they were added) →
 * destination socket. A chain of plain callbacks rather than stream Transforms, because toxics
 * come and go while the connection lives: each removal flushes what its toxic held, in order.
 * Flow control: the source pauses while the destination needs a drain or toxics hold too much.
 */
export class Link {
  private readonly entries: Entry[] = [];
  private inflight = 0;
  private stopped = false;

  constructor(
    private readonly source: Socket,
    private readonly dest: Socket,
    private readonly connection: ConnectionControl,
  ) {
    source.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      this.inflight += chunk.length;
      this.deliver(0, chunk);
      this.updateFlow();
    });
    source.on('end', () => {
      if (!this.stopped) this.deliver(0, null);
    });
    dest.on('drain', () => this.updateFlow());
  }

  addToxic(info: ToxicInfo, type: ToxicType): void {
    const entry: Entry = { name: info.name, stage: undefined };
    this.entries.push(entry);
    this.open(entry, info, type);
  }

  /**
   * New settings for a toxic, in its place in the chain: what the old one held passes on, in
   * order, and the toxicity is rolled again (as Toxiproxy does).
   */
  updateToxic(info: ToxicInfo, type: ToxicType): void {
    const entry = this.entries.find((e) => e.name === info.name);
    if (!entry) return;
    const old = entry.stage;
    entry.stage = undefined;
    old?.stop?.(!this.stopped);
    this.open(entry, info, type);
    this.updateFlow();
  }

  removeToxic(name: string): void {
    const index = this.entries.findIndex((e) => e.name === name);
    const entry = this.entries[index];
    if (!entry) return;
    entry.stage?.stop?.(!this.stopped);
    this.entries.splice(this.entries.indexOf(entry), 1);
    this.updateFlow();
  }

  private open(entry: Entry, info: ToxicInfo, type: ToxicType): void {
    if (this.stopped || Math.random() >= info.toxicity) return;
    entry.stage = type.open(info.attributes, this.contextFor(entry));
  }

  /** The connection is going away: toxics drop what they hold and clear their timers. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const entry of this.entries) entry.stage?.stop?.(false);
  }

  private contextFor(entry: Entry): ToxicContext {
    return {
      forward: (chunk) => {
        const index = this.entries.indexOf(entry);
        if (index >= 0 && !this.stopped) this.deliver(index + 1, chunk);
      },
      discard: (chunk) => {
        this.inflight -= chunk.length;
        this.updateFlow();
      },
      close: () => this.connection.close(),
      reset: () => this.connection.reset(),
    };
  }

  /** Hands a chunk to the first active toxic at or after `index`, or to the destination. */
  private deliver(index: number, chunk: Buffer | null): void {
    for (let i = index; i < this.entries.length; i++) {
      const stage = this.entries[i]?.stage;
      if (stage) {
        stage.pipe(chunk);
        return;
      }
    }
    this.sink(chunk);
  }

  private sink(chunk: Buffer | null): void {
    const dest = this.dest;
    const writable = !dest.destroyed && !dest.writableEnded;
    if (chunk === null) {
      if (writable) dest.end();
      return;
    }
    this.inflight -= chunk.length;
    if (writable) dest.write(chunk);
    this.updateFlow();
  }

  private updateFlow(): void {
    if (this.stopped || this.source.destroyed) return;
    const hold = this.inflight > HIGH_WATER || this.dest.writableNeedDrain;
    if (hold && !this.source.isPaused()) this.source.pause();
    else if (!hold && this.source.isPaused()) this.source.resume();
  }
}
