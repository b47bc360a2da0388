import { durationParam, toxicFault, toxicParams } from './toxic-fault.ts';

export const latencyFault = toxicFault(
  'latency',
  'delay data by latency ± jitter',
  toxicParams({
    latency: durationParam(),
    jitter: durationParam().default(0),
  }),
);
