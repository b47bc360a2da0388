import { setTimeout as delay } from 'node:timers/promises';
import type { RequestHandler, Response } from 'express';
import type { KnobController } from './knobs.ts';

/**
 * Requests parked by the `hang` knob: not answered, connection left open.
 * `releaseAll()` lets every parked request continue down the normal path.
 */
export class HungRequests {
  private readonly parked = new Set<(released: boolean) => void>();
  private closed = false;

  get count(): number {
    return this.parked.size;
  }

  /** Resolves true when released, false if the client went away first. */
  park(res: Response): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const settle = (released: boolean) => {
        this.parked.delete(settle);
        res.off('close', onClose);
        resolve(released);
      };
      const onClose = () => settle(false);
      res.once('close', onClose);
      this.parked.add(settle);
    });
  }

  /** Releases every parked request; returns how many there were. */
  releaseAll(): number {
    const waiting = [...this.parked];
    for (const settle of waiting) settle(true);
    return waiting.length;
  }

  /** Releases every parked request and parks no more (the server is shutting down). */
  close(): number {
    this.closed = true;
    return this.releaseAll();
  }
}

const gone = (res: Response): boolean => res.destroyed || res.writableEnded;

/**
 * Applies the knobs to a request, in order: hang (park until released), latency, error rate.
 * Each knob is read when its step runs, so a runtime change affects requests already waiting.
 * `/health` gets hang and latency but not the error rate: its status is the `healthStatus` knob.
 */
export function applyKnobs(deps: {
  knobs: KnobController;
  hung: HungRequests;
  name: string;
}): RequestHandler {
  const { knobs, hung, name } = deps;
  const misbehave: RequestHandler = async (req, res, next) => {
    if (knobs.get().hang) {
      const released = await hung.park(res);
      if (!released) return;
    }
    const { latencyMs } = knobs.get();
    if (latencyMs > 0) {
      await delay(latencyMs);
      if (gone(res)) return;
    }
    const { errorRate, errorStatus } = knobs.get();
    if (req.path !== '/health' && errorRate > 0 && Math.random() < errorRate) {
      res.status(errorStatus).json({ error: 'injected_error', status: errorStatus, instance: name });
      return;
    }
    next();
  };
  return (req, res, next) => {
    const { hang, latencyMs, errorRate } = knobs.get();
    // No knob set (nearly every request of a drill): straight on, no promise, no timer.
    if (!hang && latencyMs <= 0 && !(errorRate > 0)) next();
    // Returned, so Express 5 sends a rejection to the error handler as it did before.
    else return misbehave(req, res, next);
  };
}
