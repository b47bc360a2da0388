import { z } from 'zod';
import { defineFault } from '../types.ts';
import { DEFAULT_KNOBS, precheckControlApi, restoreKnobs, setKnobs } from './knob-fault.ts';

/** The sample backend answers a share (`rate`) of requests with `status`. */
export const httpErrorFault = defineFault({
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
    restoreKnobs(target, { errorRate: DEFAULT_KNOBS.errorRate, errorStatus: DEFAULT_KNOBS.errorStatus }),
  inject: (target, p) => setKnobs(target, { errorRate: p.rate, errorStatus: p.status }),
});
