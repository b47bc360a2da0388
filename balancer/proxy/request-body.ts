import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { LimitsConfig } from '../config/types.ts';
import type { ReplayBudget } from './replay-budget.ts';

/**
 * How the client framed its body, read from the headers as Node's parser saw them, before any
 * header is removed. Node refuses Content-Length together with Transfer-Encoding, and a
 * Transfer-Encoding that does not end in chunked, so any Transfer-Encoding here means chunked.
 */
export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

export function bodyFraming(headers: IncomingHttpHeaders): BodyFraming {
  if (headers['transfer-encoding'] !== undefined) return { kind: 'chunked' };
  const length = headers['content-length'];
  if (length !== undefined && length !== '0') return { kind: 'length', length: Number(length) };
  return { kind: 'none' };
}

export interface RequestBody {
  /** True when the whole body is in memory, so any number of tries can send it. */
  readonly replayable: boolean;
  /** How the body goes to the backend: its exact length, or chunked when it is streamed unknown. */
  readonly outgoing: { contentLength: number } | { chunked: true };
  /** The body for one try: the buffer, a stream (only once), or null when there is none. */
  payload(): Buffer | Readable | null;
  /** Gives the buffer's bytes back to the replay budget; call once the request is over. */
  release(): void;
}

export type BodyOutcome = { kind: 'body'; body: RequestBody } | { kind: 'too-large' };

export interface BodyPolicy {
  limits: Pick<LimitsConfig, 'maxBodySize' | 'oversizedBody'>;
  budget: ReplayBudget;
}

const EMPTY: RequestBody = {
  replayable: true,
  outgoing: { contentLength: 0 },
  payload: () => null,
  release: () => {},
};

/** A request without a body (most GETs): nothing to read or wait for. */
export const NO_BODY: BodyOutcome = { kind: 'body', body: EMPTY };

function buffered(body: Buffer, release: () => void): RequestBody {
  return {
    replayable: true,
    outgoing: { contentLength: body.length },
    payload: () => body,
    release,
  };
}

/** The body read so far (`prefix`) followed by the rest of `req`, sent once. */
function streamed(req: IncomingMessage, prefix: Buffer[], framing: BodyFraming): RequestBody {
  let used = false;
  return {
    replayable: false,
    outgoing: framing.kind === 'length' ? { contentLength: framing.length } : { chunked: true },
    payload: () => {
      if (used) throw new Error('request body already sent');
      used = true;
      const pass = new PassThrough();
      for (const chunk of prefix) pass.write(chunk);
      req.pipe(pass);
      req.resume();
      return pass;
    },
    release: () => {},
  };
}

/**
 * Reads the request body up to `maxBodySize` so retries can resend it (Envoy buffers the same
 * way for retries), as long as the replay budget has room. A larger body is streamed through
 * once (it cannot be retried) or refused, as `oversizedBody` says; it is never cut short.
 */
export function readRequestBody(
  req: IncomingMessage,
  framing: BodyFraming,
  { limits, budget }: BodyPolicy,
): Promise<BodyOutcome> {
  if (framing.kind === 'none') return Promise.resolve(NO_BODY);
  const tooLarge = (size: number) => size > limits.maxBodySize;
  if (framing.kind === 'length' && tooLarge(framing.length)) {
    if (limits.oversizedBody === 'reject') return Promise.resolve({ kind: 'too-large' });
    return Promise.resolve({ kind: 'body', body: streamed(req, [], framing) });
  }
  // A declared length is reserved whole, up front; a chunked body chunk by chunk.
  let reserved = 0;
  if (framing.kind === 'length') {
    if (!budget.tryReserve(framing.length)) {
      return Promise.resolve({ kind: 'body', body: streamed(req, [], framing) });
    }
    reserved = framing.length;
  }
  const giveBack = () => {
    budget.release(reserved);
    reserved = 0;
  };
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stopReading = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      req.pause();
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (framing.kind !== 'chunked') return;
      if (tooLarge(size) && limits.oversizedBody === 'reject') {
        stopReading();
        giveBack();
        resolve({ kind: 'too-large' });
      } else if (tooLarge(size) || !budget.tryReserve(chunk.length)) {
        stopReading();
        giveBack();
        resolve({ kind: 'body', body: streamed(req, chunks, framing) });
      } else reserved += chunk.length;
    };
    const onEnd = () => {
      stopReading();
      resolve({ kind: 'body', body: buffered(Buffer.concat(chunks), giveBack) });
    };
    const onError = (err: Error) => {
      stopReading();
      giveBack();
      reject(err);
    };
    const onClose = () => onError(new Error('the client closed the connection while sending the body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
