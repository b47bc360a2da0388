import { durationParam, toxicFault } from './toxic-fault.ts';

export const resetPeerFault = toxicFault('reset_peer', 'reset connections (TCP RST) after timeout', {
  timeout: durationParam().default(0),
});
