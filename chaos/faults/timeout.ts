import { durationParam, toxicFault, toxicParams } from './toxic-fault.ts';

export const timeoutFault = toxicFault(
  'timeout',
  'stop all data; close after timeout (0 = black hole)',
  toxicParams({
    timeout: durationParam().default(0),
  }),
);
