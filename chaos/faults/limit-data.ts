import { z } from 'zod';
import { toxicFault } from './toxic-fault.ts';

export const limitDataFault = toxicFault('limit_data', 'close connections after bytes', {
  bytes: z.number({ error: 'must be a whole number of bytes >= 0' }).int().min(0),
});
