import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RequestRecord } from '../recording.ts';

/** What the journal says of `requests.jsonl`. */
export interface RequestsLogSummary {
  file: string;
  /** Records written, one complete JSON line each. */
  written: number;
  /** Records not written because the disk fell behind (or failed): the file is short by these. */
  dropped: number;
  error?: string;
}

export interface RequestsLogOptions {
  /** Lines are written in batches of about this many bytes (and at least every `flushMs`). */
  batchBytes?: number;
  flushMs?: number;
  /** Most bytes waiting for the disk; a batch that would go past it is dropped and counted. */
  maxQueuedBytes?: number;
}

/**
 * `requests.jsonl`, written as the drill runs: one JSON line per finished request, in batches.
 * Memory stays bounded when the disk cannot keep up: a batch that would queue more than
 * `maxQueuedBytes` is dropped whole and counted, never buffered without end and never
 * silently lost. Only whole lines are written, so the file parses line by line at any time
 * after `close`, on every exit path.
 */
export class RequestsLog {
  private readonly stream: WriteStream;
  private readonly batchBytes: number;
  private readonly maxQueuedBytes: number;
  private readonly timer: NodeJS.Timeout;
  private batch: string[] = [];
  private batchSize = 0;
  private written = 0;
  private dropped = 0;
  private error: Error | undefined;
  private closing: Promise<RequestsLogSummary> | undefined;

  private constructor(
    readonly file: string,
    stream: WriteStream,
    options: RequestsLogOptions,
  ) {
    this.stream = stream;
    this.batchBytes = options.batchBytes ?? 64 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
    this.stream.on('error', (err) => {
      this.error ??= err;
    });
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 250);
    this.timer.unref();
  }

  /** Creates (or truncates) the file; rejects when it cannot be written. */
  static async open(file: string, options: RequestsLogOptions = {}): Promise<RequestsLog> {
    await mkdir(dirname(file), { recursive: true });
    const stream = createWriteStream(file, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return new RequestsLog(file, stream, options);
  }

  write(record: RequestRecord): void {
    if (this.closing) {
      this.dropped++;
      return;
    }
    const line = `${JSON.stringify(record)}\n`;
    this.batch.push(line);
    this.batchSize += line.length;
    if (this.batchSize >= this.batchBytes) this.flush();
  }

  get summary(): RequestsLogSummary {
    return {
      file: this.file,
      written: this.written,
      dropped: this.dropped + this.batch.length,
      ...(this.error ? { error: this.error.message } : {}),
    };
  }

  /** Writes what is batched, ends the file and resolves once it is on disk (or failed). */
  close(): Promise<RequestsLogSummary> {
    this.closing ??= (async () => {
      this.flush();
      clearInterval(this.timer);
      if (!this.error) {
        await new Promise<void>((resolve) => {
          this.stream.once('error', () => resolve());
          this.stream.end(() => resolve());
        });
      } else this.stream.destroy();
      return this.summary;
    })();
    return this.closing;
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const lines = this.batch.length;
    const text = this.batch.join('');
    this.batch = [];
    this.batchSize = 0;
    if (this.error || this.stream.writableLength + text.length > this.maxQueuedBytes) {
      this.dropped += lines;
      return;
    }
    this.stream.write(text);
    this.written += lines;
  }
}
