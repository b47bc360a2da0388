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
  /** Keep-alive connections; default 64. */
  connections?: number;
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
    };

/** A fault from chaos/ on one or more targets. */
export interface FaultAction {
  kind: 'fault';
  fault: string;
  targets: string[];
  params: Record<string, unknown>;
}

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

const targetsOf = (target: string | string[]) => (Array.isArray(target) ? target : [target]);

/** Any registered fault by name: `fault('latency', 'app2', { latency: '200ms' })`. */
export function fault(
  name: string,
  target: string | string[],
  params: Record<string, unknown> = {},
): FaultAction {
  return { kind: 'fault', fault: name, targets: targetsOf(target), params };
}

export const kill = (target: string | string[]) => fault('kill', target);
export const stop = (target: string | string[]) => fault('stop', target);
export const restart = (target: string | string[]) => fault('restart', target);
/** SIGSTOP / docker pause: it accepts connections and answers nothing. */
export const pause = (target: string | string[]) => fault('pause', target);
export const partition = (target: string | string[]) => fault('partition', target);
export const latency = (
  target: string | string[],
  params: { latency: DurationInput; jitter?: DurationInput },
) => fault('latency', target, params);
export const httpError = (target: string | string[], params: { rate?: number; status?: number } = {}) =>
  fault('http_error', target, params);
export const httpLatency = (target: string | string[], params: { latency: DurationInput }) =>
  fault('http_latency', target, params);
export const down = (target: string | string[]) => fault('down', target);

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
