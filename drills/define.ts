/**
 * The drill language: what a `*.drill.ts` file imports from 'faultline'.
 *
 * ```ts
 * import { at, defineDrill, kill, restart } from 'faultline';
 *
 * export default defineDrill({
 *   name: 'primary-crash',
 *   description: 'The weight-3 primary dies under load; clients must not notice.',
 *   stack: 'sample',
 *   load: { rate: 200, requests: [{ path: '/' }] },
 *   steadyState: ['error_rate==0', 'p(99)<100ms'],
 *   method: [at('1s', kill('app1'), { as: 'crash' }), at('4s', restart('app1'))],
 *   sla: ['errors==0 during crash', 'detection<1s for crash'],
 * });
 * ```
 */

import type { FaultName, FaultParams } from '../chaos/faults/index.ts';

/** Fault names and, by name, the params a drill writes for each (from each fault's schema). */
export type { FaultName, FaultParams };

/** `'250ms'`, `'1.5s'`, `'2m'`, or milliseconds. */
export type DurationInput = string | number;

export interface LoadRequestInput {
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface LoadInput {
  /** Requests per second, at a constant arrival rate (open model). */
  rate: number;
  /** Round-robin over these; default GET /. */
  requests?: LoadRequestInput[];
  /** Per-request client timeout; default 5s. */
  timeout?: DurationInput;
  /** Keep-alive connections; default 64. On a tcp stack: the long-lived connections, default 16. */
  connections?: number;
  /** On a tcp stack: the share of exchanges made on a connection of their own (0..1), default 0.5. */
  newConnections?: number;
  /**
   * Before steady state is judged, the rate ramps up from 10% (or `from`) to `rate` over this long
   * and then holds for 500 ms: connections open and both stacks' JIT warms up, so the first
   * window measures the system, not its start-up. Default 2s; `0s` for none (the hold stays).
   */
  warmup?: DurationInput | { duration: DurationInput; from?: number };
}

export interface StackBackendInput {
  name: string;
  weight?: number;
  backup?: boolean;
  env?: Record<string, string | number | boolean>;
}

/** `'sample'`: app1 (weight 3), app2, app3 (backup); or the sample stack changed. */
export type StackInput =
  | 'sample'
  | {
      backends?: StackBackendInput[];
      /** A toxic proxy in front of each backend (needed for network faults). Default false. */
      proxies?: boolean;
      /** Pool settings over the defaults: algorithm, health, retries, outlier, breaker, ... */
      pool?: Record<string, unknown>;
      /** Top-level balancer settings: timeouts, ... */
      balancer?: Record<string, unknown>;
      /**
       * `tcp`: the backends are line echo servers behind a tcp listener, and the load is line
       * exchanges over long-lived and new connections (`rate` exchanges per second). Default http.
       */
      protocol?: 'http' | 'tcp';
    };

/** A fault from chaos/ on one or more targets, its `params` typed by that fault's own schema. */
export interface FaultActionOf<Name extends FaultName> {
  kind: 'fault';
  fault: Name;
  targets: string[];
  params: FaultParams[Name];
}

/** Any fault's action: a union over every registered fault, discriminated by `fault`. */
export type FaultAction = { [Name in FaultName]: FaultActionOf<Name> }[FaultName];

/** Undo the faults of an earlier step now (the runner reverts whatever is left at the end anyway). */
export interface RevertAction {
  kind: 'revert';
  step: string;
}

/** An admin API call on the balancer: take a server out gracefully, put it back. */
export interface AdminAction {
  kind: 'admin';
  op: 'drain' | 'enable' | 'disable';
  server: string;
  pool?: string;
}

/** A shell command (through zx), e.g. a runbook step. Fails the step on a non-zero exit. */
export interface ShellAction {
  kind: 'shell';
  command: string;
  timeout?: DurationInput;
}

export type DrillAction = FaultAction | RevertAction | AdminAction | ShellAction;

/** A balancer event the method can wait for. */
export interface EventCondition {
  kind: 'event';
  event: string;
  server?: string;
}

export type DrillTrigger =
  | { kind: 'at'; offset: DurationInput }
  /** When the condition is observed after the previous step started (or `timeout` passes: the run fails). */
  | { kind: 'after'; condition: EventCondition; timeout?: DurationInput };

export interface StepOptions {
  /** The name SLA windows use (`during crash`). Default: `<fault>-<target>`. */
  as?: string;
  /** Hold a fault this long, then revert it (its `during` window ends there). */
  for?: DurationInput;
}

export interface DrillStep extends StepOptions {
  trigger: DrillTrigger;
  action: DrillAction;
}

export interface SteadyStateInput {
  /** How long each steady-state phase (before and after the method) runs. Default 2s. */
  duration?: DurationInput;
  thresholds: string[];
}

export interface DrillDefinition {
  name: string;
  description: string;
  stack: StackInput;
  load: LoadInput;
  /** Must hold before the method (else: aborted, no fault injected) and after it (else: deviated). */
  steadyState?: string[] | SteadyStateInput;
  method: DrillStep[];
  /** How long the method phase runs under load. Default: the last `at` offset + 3s. */
  duration?: DurationInput;
  sla: string[];
  /** Stop the run at once (status aborted) when one of these holds on the last second, e.g. `error_rate>50%`. */
  abortWhen?: string[];
}

/** Marks a drill module's default export; validated when the drill loads. */
export function defineDrill(definition: DrillDefinition): DrillDefinition {
  return definition;
}

export function at(offset: DurationInput, action: DrillAction, options: StepOptions = {}): DrillStep {
  return { trigger: { kind: 'at', offset }, action, ...options };
}

/** Runs `action` once `condition` is observed after the previous step started. */
export function after(
  condition: EventCondition,
  action: DrillAction,
  options: StepOptions & { timeout?: DurationInput } = {},
): DrillStep {
  const { timeout, ...rest } = options;
  return {
    trigger: { kind: 'after', condition, ...(timeout !== undefined ? { timeout } : {}) },
    action,
    ...rest,
  };
}

/** A balancer event, e.g. `event('server-drained', 'app1')`. */
export function event(kind: string, server?: string): EventCondition {
  return { kind: 'event', event: kind, ...(server !== undefined ? { server } : {}) };
}

type Targets = string | string[];
const targetsOf = (target: Targets) => (Array.isArray(target) ? target : [target]);

/** `params` may be left out when the fault needs none (every field optional or defaulted). */
type ParamsArg<Name extends FaultName> =
  Record<string, never> extends FaultParams[Name]
    ? [params?: FaultParams[Name]]
    : [params: FaultParams[Name]];

/**
 * Any registered fault by name: `fault('latency', 'app2', { latency: '200ms' })`. The name and
 * the params are checked by the compiler (a misspelt name or field, a wrong type) and again,
 * with the same schema, when the drill loads.
 */
export function fault<Name extends FaultName>(
  name: Name,
  target: Targets,
  ...params: ParamsArg<Name>
): FaultActionOf<Name>;
export function fault(name: FaultName, target: Targets, params: Record<string, unknown> = {}) {
  return { kind: 'fault', fault: name, targets: targetsOf(target), params };
}

export const kill = (target: Targets) => fault('kill', target);
export const stop = (target: Targets) => fault('stop', target);
export const restart = (target: Targets) => fault('restart', target);
/** SIGSTOP / docker pause: it accepts connections and answers nothing. */
export const pause = (target: Targets) => fault('pause', target);
/** Cut off the network: its toxic proxy down (local, the same as `down`) / docker network disconnect. */
export const partition = (target: Targets) => fault('partition', target);
/** `{ latency, jitter?, stream?, toxicity? }` on the target's toxic proxy. */
export const latency = (target: Targets, params: FaultParams['latency']) => fault('latency', target, params);
/** `{ rate?, status? }`: the sample backend answers a share of requests with an error status. */
export const httpError = (target: Targets, params: FaultParams['http_error'] = {}) =>
  fault('http_error', target, params);
export const httpLatency = (target: Targets, params: FaultParams['http_latency']) =>
  fault('http_latency', target, params);
/** The target's toxic proxy down: connections refused and cut. */
export const down = (target: Targets) => fault('down', target);

export const revert = (step: string): RevertAction => ({ kind: 'revert', step });
export const drain = (server: string, pool?: string): AdminAction => ({
  kind: 'admin',
  op: 'drain',
  server,
  ...(pool ? { pool } : {}),
});
export const enable = (server: string, pool?: string): AdminAction => ({
  kind: 'admin',
  op: 'enable',
  server,
  ...(pool ? { pool } : {}),
});
export const shell = (command: string, options: { timeout?: DurationInput } = {}): ShellAction => ({
  kind: 'shell',
  command,
  ...options,
});
