import { durationParam, toxicFault, toxicParams } from './toxic-fault.ts';

export const resetPeerFault = toxicFault(
  'reset_peer',
  'reset connections (TCP RST) after timeout',
  toxicParams({
    timeout: durationParam().default(0),
  }),
);
