import { durationParam, toxicFault, toxicParams } from './toxic-fault.ts';

export const slowCloseFault = toxicFault(
  'slow_close',
  'delay closing connections by delay',
  toxicParams({
    delay: durationParam(),
  }),
);
