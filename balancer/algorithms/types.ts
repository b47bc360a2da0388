import type { IncomingHttpHeaders } from 'node:http';
import type { HashKeySource } from '../config/types.ts';

/** What an algorithm sees of a server: enough to choose, nothing to mutate. */
export interface Candidate {
  readonly name: string;
  readonly weight: number;
  /** Requests currently in flight to this server through this balancer. */
  readonly inflight: number;
}

export interface PickContext {
  clientIp: string;
  headers: IncomingHttpHeaders;
  /** The server a sticky cookie pins the request to (the pool honours it before any algorithm). */
  pinned?: string | undefined;
}

/**
 * One load-balancing algorithm. `pick` gets only the servers that may take traffic right now
 * (healthy, enabled, in the active tier, not yet tried for this request) and returns one of
 * them, or undefined when the list is empty.
 */
export interface BalancingAlgorithm {
  readonly name: string;
  pick(candidates: readonly Candidate[], ctx: PickContext): Candidate | undefined;
  /** The pool's full server list, at start and whenever membership or weights change. */
  updateServers?(all: readonly Candidate[]): void;
  /** Optional feedback after each try: latency-aware algorithms learn from it. */
  observe?(server: string, latencyMs: number, ok: boolean): void;
  /** Called when a try starts, for algorithms that track their own outstanding counts. */
  started?(server: string): void;
  finished?(server: string): void;
}

export interface AlgorithmOptions {
  hashKey: HashKeySource;
  /** Injected for deterministic tests; defaults to Math.random. */
  random?: () => number;
  /** Injected for deterministic tests; defaults to performance.now. */
  clock?: () => number;
}
