import type { Fault } from '../types.ts';
import { KNOB_DEFAULTS, precheckControlApi, restoreKnobs, setKnobs } from './knob-fault.ts';
import { noParams } from './process-fault.ts';

/** The sample backend holds new requests unanswered; the revert releases them. */
export const httpHangFault: Fault<Record<string, never>> = {
  name: 'http_hang',
  summary: 'the sample backend holds requests unanswered until reverted',
  params: noParams(),
  precheck: precheckControlApi,
  describe: (target) => `${target.name} holds every new request unanswered`,
  planRevert: (target) => restoreKnobs(target, { hang: KNOB_DEFAULTS.hang }),
  inject: (target) => setKnobs(target, { hang: true }),
};
