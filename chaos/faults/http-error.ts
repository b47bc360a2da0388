import { z } from 'zod';
import type { Fault } from '../types.ts';
import { KNOB_DEFAULTS, precheckControlApi, restoreKnobs, setKnobs } from './knob-fault.ts';

export type HttpErrorParams = {
  rate: number;
  status: number;
};

/** The sample backend answers a share (`rate`) of requests with `status`. */
export const httpErrorFault: Fault<HttpErrorParams> = {
  name: 'http_error',
  summary: 'the sample backend answers a share of requests with an error status',
  params: z.strictObject({
    rate: z.number({ error: 'must be a number from 0 to 1' }).min(0).max(1).default(1),
    status: z
      .number({ error: 'must be an HTTP status from 400 to 599' })
      .int()
      .min(400)
      .max(599)
      .default(500),
  }),
  precheck: precheckControlApi,
  describe: (target, p) => `${target.name} answers ${p.status} to ${Math.round(p.rate * 100)}% of requests`,
  planRevert: (target) =>
    restoreKnobs(target, { errorRate: KNOB_DEFAULTS.errorRate, errorStatus: KNOB_DEFAULTS.errorStatus }),
  inject: (target, p) => setKnobs(target, { errorRate: p.rate, errorStatus: p.status }),
};
