import { defineFault } from '../types.ts';
import { DEFAULT_KNOBS, precheckControlApi, restoreKnobs, setKnobs } from './knob-fault.ts';
import { noParams } from './process-fault.ts';

/** The sample backend holds new requests unanswered; the revert releases them. */
export const httpHangFault = defineFault({
  name: 'http_hang',
  summary: 'the sample backend holds requests unanswered until reverted',
  params: noParams(),
  precheck: precheckControlApi,
  describe: (target) => `${target.name} holds every new request unanswered`,
  planRevert: (target) => restoreKnobs(target, { hang: DEFAULT_KNOBS.hang }),
  inject: (target) => setKnobs(target, { hang: true }),
});
