import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type ErrorRequestHandler, type Router } from 'express';
import type { KnobController } from './knobs.ts';

/** Reads and discards a request body, returning its length in bytes. */
function bodyLength(req: IncomingMessage): Promise<number> {
  // Most requests (GETs) have no body: no stream to read, nothing to wait for.
  const framed =
    req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
  if (!framed || req.headers['content-length'] === '0') return Promise.resolve(0);
  return new Promise((resolve, reject) => {
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
    });
    req.once('end', () => resolve(length));
    req.once('error', reject);
    req.once('close', () => reject(new Error('the client went away while sending the body')));
  });
}

/**
 * The backend's "application": `/health`, `POST /orders`, and an echo for everything else.
 * Every body names the instance; the `x-backend-instance` header is set earlier, for all routes.
 */
export function sampleRoutes(name: string, knobs: KnobController): Router {
  const router = express.Router();

  router.get('/health', (_req, res) => {
    const status = knobs.get().healthStatus;
    res.status(status).json({ status: status < 400 ? 'ok' : 'failing', instance: name });
  });

  router.post('/orders', async (req, res) => {
    const received = await bodyLength(req);
    res.status(201).json({ orderId: randomUUID(), instance: name, pid: process.pid, bodyLength: received });
  });

  router.use(async (req, res) => {
    const received = await bodyLength(req);
    res.json({
      instance: name,
      pid: process.pid,
      method: req.method,
      path: req.path,
      query: req.query,
      headers: req.headers,
      bodyLength: received,
    });
  });

  return router;
}

/** Last-resort error handler: JSON, still naming the instance. */
export function errorHandler(name: string): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status =
      typeof err?.status === 'number' && err.status >= 400 && err.status < 600 ? err.status : 500;
    res.status(status).json({ error: 'backend_error', message: String(err?.message ?? err), instance: name });
  };
}
