import type { IncomingMessage } from 'node:http';
import { PassThrough, Readable } from 'node:stream';

/** Requests with bodies up to this size can be replayed on another server. */
export const REPLAYABLE_BODY_BYTES = 1024 * 1024;

export interface RequestBody {
  /** True when the whole body is in memory, so any number of tries can send it. */
  readonly replayable: boolean;
  /** A fresh stream of the body for one try. For a non-replayable body, only the first call works. */
  stream(): Readable;
}

function hasNoBody(req: IncomingMessage): boolean {
  return (
    req.headers['content-length'] === '0' ||
    (!req.headers['content-length'] && !req.headers['transfer-encoding'])
  );
}

/**
 * Reads the request body up to REPLAYABLE_BODY_BYTES so retries can resend it (Envoy buffers the
 * same way for retries). A larger body is streamed through once: it cannot be retried.
 */
export function readRequestBody(req: IncomingMessage): Promise<RequestBody> {
  if (hasNoBody(req)) {
    return Promise.resolve({ replayable: true, stream: () => Readable.from([]) });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > REPLAYABLE_BODY_BYTES) {
        cleanup();
        req.pause();
        let used = false;
        resolve({
          replayable: false,
          stream: () => {
            if (used) throw new Error('request body already sent');
            used = true;
            const pass = new PassThrough();
            for (const c of chunks) pass.write(c);
            req.pipe(pass);
            req.resume();
            return pass;
          },
        });
      }
    };
    const onEnd = () => {
      cleanup();
      const body = Buffer.concat(chunks);
      resolve({ replayable: true, stream: () => Readable.from(body.length ? [body] : []) });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
