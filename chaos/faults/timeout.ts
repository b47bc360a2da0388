import { durationParam, toxicFault } from './toxic-fault.ts';

export const timeoutFault = toxicFault('timeout', 'stop all data; close after timeout (0 = black hole)', {
  timeout: durationParam().default(0),
});
