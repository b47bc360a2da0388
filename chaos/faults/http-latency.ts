import { z } from 'zod';
import type { Fault } from '../types.ts';
import { KNOB_DEFAULTS, precheckControlApi, restoreKnobs, setKnobs } from './knob-fault.ts';
import { durationParam } from './toxic-fault.ts';

export type HttpLatencyParams = {
  /** Milliseconds. */
  latency: number;
};

/** The sample backend waits `latency` before answering each request. */
export const httpLatencyFault: Fault<HttpLatencyParams> = {
  name: 'http_latency',
  summary: 'the sample backend waits before answering each request',
  params: z.strictObject({
    latency: durationParam().pipe(z.number().max(600_000, 'must be at most 10m')),
  }),
  precheck: precheckControlApi,
  describe: (target, p) => `${target.name} waits ${p.latency}ms before answering`,
  planRevert: (target) => restoreKnobs(target, { latencyMs: KNOB_DEFAULTS.latencyMs }),
  inject: (target, p) => setKnobs(target, { latencyMs: p.latency }),
};
