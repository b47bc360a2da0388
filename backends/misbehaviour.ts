import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { KnobController } from './knobs.ts';
import { sendJson } from './sample-routes.ts';

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
  park(res: ServerResponse): Promise<boolean> {
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

const gone = (res: ServerResponse): boolean => res.destroyed || res.writableEnded;

/** True: go on to the routes. False: the request was answered, or its client went away. */
export type Misbehaviour = (isHealth: boolean, res: ServerResponse) => boolean | Promise<boolean>;

/**
 * Applies the knobs to a request, in order: hang (park until released), latency, error rate.
 * Each knob is read when its step runs, so a runtime change affects requests already waiting.
 * `/health` gets hang and latency but not the error rate: its status is the `healthStatus` knob.
 */
export function applyKnobs(deps: { knobs: KnobController; hung: HungRequests; name: string }): Misbehaviour {
  const { knobs, hung, name } = deps;
  const misbehave = async (isHealth: boolean, res: ServerResponse): Promise<boolean> => {
    if (knobs.get().hang) {
      const released = await hung.park(res);
      if (!released) return false;
    }
    const { latencyMs } = knobs.get();
    if (latencyMs > 0) {
      await delay(latencyMs);
      if (gone(res)) return false;
    }
    const { errorRate, errorStatus } = knobs.get();
    if (!isHealth && errorRate > 0 && Math.random() < errorRate) {
      sendJson(res, errorStatus, { error: 'injected_error', status: errorStatus, instance: name });
      return false;
    }
    return true;
  };
  return (isHealth, res) => {
    const { hang, latencyMs, errorRate } = knobs.get();
    // No knob set (nearly every request of a drill): straight on, no promise, no timer.
    if (!hang && latencyMs <= 0 && !(errorRate > 0)) return true;
    return misbehave(isHealth, res);
  };
}
