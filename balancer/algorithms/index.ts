import type { AlgorithmName } from '../config/types.ts';
import { consistentHash } from './consistent-hash.ts';
import { ipHash } from './ip-hash.ts';
import { latency } from './latency.ts';
import { leastConnections } from './least-connections.ts';
import { powerOfTwoChoices } from './power-of-two-choices.ts';
import { randomPick } from './random.ts';
import { roundRobin } from './round-robin.ts';
import type { AlgorithmOptions, BalancingAlgorithm } from './types.ts';
import { weightedLeastConnections } from './weighted-least-connections.ts';
import { weightedRoundRobin } from './weighted-round-robin.ts';

export type * from './types.ts';

type Factory = (options: Required<AlgorithmOptions>) => BalancingAlgorithm;

/** Every name in ALGORITHM_NAMES must appear here: the Record type makes a missing one an error. */
const registry: Record<AlgorithmName, Factory> = {
  'round-robin': () => roundRobin(),
  'weighted-round-robin': () => weightedRoundRobin(),
  'least-connections': () => leastConnections(),
  'weighted-least-connections': () => weightedLeastConnections(),
  'ip-hash': () => ipHash(),
  'consistent-hash': (o) => consistentHash(o.hashKey),
  random: (o) => randomPick(o.random),
  'power-of-two-choices': (o) => powerOfTwoChoices(o.random),
  latency: (o) => latency(o.random, o.clock),
};

export function createAlgorithm(name: AlgorithmName, options: AlgorithmOptions): BalancingAlgorithm {
  return registry[name]({
    hashKey: options.hashKey,
    random: options.random ?? Math.random,
    clock: options.clock ?? (() => performance.now()),
  });
}
