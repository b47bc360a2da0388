import type { IncomingMessage, ServerResponse } from 'node:http';

export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 1000;

/** Largest request body the admin API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An answer the admin API gives on purpose; becomes `{"error":{"code","message"}}`. */
export class AdminHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AdminHttpError';
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: AdminHttpError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } }, err.headers);
}

/** Reads and parses a JSON request body (at most MAX_BODY_BYTES); every failure is a 4xx. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
    throw new AdminHttpError(
      415,
      'unsupported_media_type',
      `request body must be application/json, got ${type}`,
    );
  }
  // Node discards whatever body is left unread after the answer, so a 4xx keeps the connection usable.
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  const text = (await readBody(req)).toString('utf8');
  if (text.trim() === '')
    throw new AdminHttpError(400, 'invalid_json', 'request body is empty; expected a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AdminHttpError(
      400,
      'invalid_json',
      `request body is not valid JSON: ${(err as Error).message}`,
    );
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Keep reading (and discarding) so the client can finish sending and read the 413.
      req.off('data', onData);
      req.resume();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function tooLarge(): AdminHttpError {
  return new AdminHttpError(413, 'payload_too_large', `request body exceeds ${MAX_BODY_BYTES} bytes`);
}

/** `{"weight": N}` with N an integer in [MIN_WEIGHT, MAX_WEIGHT]. */
export function parseWeight(body: unknown): number {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AdminHttpError(400, 'invalid_body', 'request body must be a JSON object like {"weight": 3}');
  }
  const weight = (body as Record<string, unknown>).weight;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
    const got = weight === undefined ? 'it is missing' : `got ${JSON.stringify(weight)}`;
    throw new AdminHttpError(
      400,
      'invalid_field',
      `field "weight" must be an integer from ${MIN_WEIGHT} to ${MAX_WEIGHT} (${got})`,
    );
  }
  return weight;
}
