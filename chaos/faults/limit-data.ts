import { z } from 'zod';
import { toxicFault, toxicParams } from './toxic-fault.ts';

export const limitDataFault = toxicFault(
  'limit_data',
  'close connections after bytes',
  toxicParams({
    bytes: z.number({ error: 'must be a whole number of bytes >= 0' }).int().min(0),
  }),
);
