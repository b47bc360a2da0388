import type { Fault } from '../types.ts';
import { bandwidthFault } from './bandwidth.ts';
import { downFault } from './down.ts';
import { httpErrorFault } from './http-error.ts';
import { httpHangFault } from './http-hang.ts';
import { httpLatencyFault } from './http-latency.ts';
import { killFault } from './kill.ts';
import { latencyFault } from './latency.ts';
import { limitDataFault } from './limit-data.ts';
import { partitionFault } from './partition.ts';
import { pauseFault } from './pause.ts';
import { resetPeerFault } from './reset-peer.ts';
import { restartFault } from './restart.ts';
import { slowCloseFault } from './slow-close.ts';
import { stopFault } from './stop.ts';
import { timeoutFault } from './timeout.ts';

/** Every fault, by its snake_case name. */
// Each fault has its own params type; the registry only hands them out by name.
const FAULTS = [
  killFault,
  stopFault,
  restartFault,
  pauseFault,
  partitionFault,
  latencyFault,
  bandwidthFault,
  timeoutFault,
  resetPeerFault,
  slowCloseFault,
  limitDataFault,
  downFault,
  httpErrorFault,
  httpLatencyFault,
  httpHangFault,
] as unknown as readonly Fault[];

export function findFault(name: string): Fault | undefined {
  return FAULTS.find((f) => f.name === name);
}

export function faultNames(): string[] {
  return FAULTS.map((f) => f.name);
}

export function allFaults(): readonly Fault[] {
  return FAULTS;
}
