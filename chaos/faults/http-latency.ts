import { z } from 'zod';
import { defineFault } from '../types.ts';
import { DEFAULT_KNOBS, precheckControlApi, restoreKnobs, setKnobs } from './knob-fault.ts';
import { durationParam } from './toxic-fault.ts';

/** The sample backend waits `latency` before answering each request. */
export const httpLatencyFault = defineFault({
  name: 'http_latency',
  summary: 'the sample backend waits before answering each request',
  params: z.strictObject({
    /** A duration; milliseconds once parsed. */
    latency: durationParam().pipe(z.number().max(600_000, 'must be at most 10m')),
  }),
  precheck: precheckControlApi,
  describe: (target, p) => `${target.name} waits ${p.latency}ms before answering`,
  planRevert: (target) => restoreKnobs(target, { latencyMs: DEFAULT_KNOBS.latencyMs }),
  inject: (target, p) => setKnobs(target, { latencyMs: p.latency }),
});
