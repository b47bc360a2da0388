import { durationParam, toxicFault } from './toxic-fault.ts';

export const slowCloseFault = toxicFault('slow_close', 'delay closing connections by delay', {
  delay: durationParam(),
});
