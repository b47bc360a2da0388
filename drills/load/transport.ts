import type { RequestRecord } from '../recording.ts';

/**
 * How the load reaches the stack: HTTP requests (undici), or exchanges over TCP connections
 * (tcp-exchanges.ts). The open model (open-model.ts) is the same for both.
 */
export interface LoadTransport {
  /** Sends exchange `index`; calls `done` exactly once with its record. */
  send(index: number, intended: number, deadline: number, done: (record: RequestRecord) => void): InFlight;
  /** The record of an exchange the client could not send in time (it fell behind). */
  behind(index: number, intended: number, at: number): RequestRecord;
  close(): Promise<void>;
}

/** One request in flight: it ends once, by its answer, an error, or its deadline. */
export interface InFlight {
  readonly intended: number;
  readonly deadline: number;
  readonly ended: boolean;
  /** Ends it now as a timeout (no-op once it has ended). */
  expire(): void;
}

/** The in-flight handle of one exchange: `ended` read live, `expire` ends it as a timeout. */
export function inFlight(
  intended: number,
  deadline: number,
  ended: () => boolean,
  expire: () => void,
): InFlight {
  return {
    intended,
    deadline,
    get ended() {
      return ended();
    },
    expire,
  };
}

/** A request the client could not send in time (it fell behind): a failure, counted, not sent. */
export function behindSchedule(
  spec: { method: string; path: string },
  intended: number,
  at: number,
): RequestRecord {
  return {
    intended,
    sent: at,
    latencyMs: at - intended,
    method: spec.method,
    path: spec.path,
    status: 0,
    error: 'client_behind',
  };
}
