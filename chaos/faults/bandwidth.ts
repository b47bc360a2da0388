import { z } from 'zod';
import { toxicFault, toxicParams } from './toxic-fault.ts';

export const bandwidthFault = toxicFault(
  'bandwidth',
  'limit throughput to rate KB/s',
  toxicParams({
    rate: z.number({ error: 'must be a whole number of KB/s >= 0' }).int().min(0),
  }),
);
