import type { z } from 'zod';
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

/** Every fault, by its snake_case name. Each keeps its own name and params types (see FaultParams). */
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
] as const satisfies readonly Fault[];

type RegisteredFault = (typeof FAULTS)[number];

/** The name of a registered fault: `'kill' | 'latency' | ...`. */
export type FaultName = RegisteredFault['name'];

/**
 * Fault name → the params a user writes for it: the input type of the fault's own schema
 * (durations as `'250ms'` or ms, defaulted fields optional). The same schema validates them
 * when a drill loads or the CLI injects, so the type and the check cannot disagree.
 * A fault without params maps to `Record<string, never>`.
 */
export type FaultParams = { [F in RegisteredFault as F['name']]: z.input<F['params']> };

export function findFault(name: string): Fault | undefined {
  return FAULTS.find((f) => f.name === name);
}

export function faultNames(): FaultName[] {
  return FAULTS.map((f) => f.name);
}

export function allFaults(): readonly Fault[] {
  return FAULTS;
}
