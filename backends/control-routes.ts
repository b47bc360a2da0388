import express, { type ErrorRequestHandler, type Router } from 'express';
import { type KnobController, KnobError, parseKnobPatch } from './knobs.ts';
import type { HungRequests } from './misbehaviour.ts';
import type { BackendStats } from './stats.ts';

export const CONTROL_PREFIX = '/_faultline';

const ROUTES = [
  'GET /_faultline/knobs',
  'PUT /_faultline/knobs',
  'POST /_faultline/release',
  'POST /_faultline/reset',
  'GET /_faultline/stats',
  'DELETE /_faultline/stats',
];

/**
 * The control API, mounted at `/_faultline`. It sits in front of the knobs, so it keeps
 * answering while the backend hangs, stalls or fails on purpose.
 */
export function controlRoutes(deps: {
  knobs: KnobController;
  hung: HungRequests;
  stats: BackendStats;
}): Router {
  const { knobs, hung, stats } = deps;
  const router = express.Router();

  router.get('/knobs', (_req, res) => {
    res.json(knobs.get());
  });

  router.put('/knobs', express.json({ limit: '16kb' }), (req, res) => {
    if (req.body === undefined) {
      throw new KnobError('body', 'send the knobs as a JSON object with Content-Type: application/json');
    }
    res.json(knobs.set(parseKnobPatch(req.body)));
  });

  router.post('/release', (_req, res) => {
    res.json({ released: hung.releaseAll() });
  });

  router.post('/reset', (_req, res) => {
    const current = knobs.reset();
    res.json({ knobs: current, released: hung.releaseAll() });
  });

  router.get('/stats', (_req, res) => {
    res.json(stats.snapshot());
  });

  router.delete('/stats', (_req, res) => {
    stats.reset();
    res.json(stats.snapshot());
  });

  router.use((req, res) => {
    res.status(404).json({
      error: 'unknown_control_route',
      message: `no control route ${req.method} ${CONTROL_PREFIX}${req.path}; routes: ${ROUTES.join(', ')}`,
    });
  });

  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    if (err instanceof KnobError) {
      res.status(400).json({ error: 'invalid_knob', field: err.field, message: err.message });
    } else if (err?.type === 'entity.parse.failed') {
      res
        .status(400)
        .json({ error: 'invalid_json', field: 'body', message: `body is not valid JSON: ${err.message}` });
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: 'bad_request', message: String(err.message) });
    } else {
      res.status(500).json({ error: 'internal', message: String(err?.message ?? err) });
    }
  };
  router.use(onError);
  return router;
}
