import { durationParam, toxicFault } from './toxic-fault.ts';

export const latencyFault = toxicFault('latency', 'delay data by latency ± jitter', {
  latency: durationParam(),
  jitter: durationParam().default(0),
});
