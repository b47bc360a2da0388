import type { z } from 'zod';
import { faultNames, findFault } from '../chaos/faults/index.ts';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import { BALANCER_TARGET, balancerSettingsIssues, SAMPLE_STACK, type StackSpec } from '../stack/index.ts';
import type { DrillAction, EventCondition } from './define.ts';
import { drillSchema, type ParsedDrill, type ParsedStep } from './drill-schema.ts';
import { checkSlaReferences, parseSla, type Sla } from './sla/index.ts';

/** A step as the runner needs it: named, durations in ms. */
export interface PlanStep {
  name: string;
  /** Other names SLA windows may use: the fault (or admin op) name when unique in the drill. */
  aliases: string[];
  trigger: { kind: 'at'; offsetMs: number } | { kind: 'after'; condition: EventCondition; timeoutMs: number };
  action: DrillAction;
  /** Servers it acts on (fault targets, admin server). */
  targets: string[];
  forMs?: number;
}

/** A drill validated and normalized: everything a run needs, nothing left to check. */
export interface DrillPlan {
  file: string;
  name: string;
  description: string;
  stack: StackSpec;
  load: {
    rate: number;
    requests: Array<{ method: string; path: string; body?: string; headers?: Record<string, string> }>;
    timeoutMs: number;
    /** HTTP: keep-alive connections. TCP: long-lived connections. */
    connections: number;
    /** TCP: the share of exchanges made on a connection of their own. */
    newConnections: number;
    /** The ramp before steady state (then WARMUP_HOLD_MS at the full rate). */
    warmup: { durationMs: number; from: number };
  };
  steadyState: { durationMs: number; thresholds: Sla[] };
  steps: PlanStep[];
  methodMs: number;
  sla: Sla[];
  abortWhen: Sla[];
}

export const DEFAULT_STEADY_MS = 2000;
/**
 * The default warm-up ramp grows with the rate: 2 s up to 400 req/s, then 1 s per 200 req/s more,
 * at most 10 s (reached at 2,000 req/s). Why, with the measurements: docs/drills.md ("Warm-up").
 */
export function defaultWarmupMs(rate: number): number {
  return Math.round(Math.min(MAX_DEFAULT_WARMUP_MS, Math.max(MIN_DEFAULT_WARMUP_MS, (rate / 200) * 1000)));
}
const MIN_DEFAULT_WARMUP_MS = 2000;
const MAX_DEFAULT_WARMUP_MS = 10_000;
export const DEFAULT_WARMUP_FROM = 0.1;
/** The method runs this long past its last `at` step unless the drill says `duration`. */
const METHOD_TAIL_MS = 3000;
const DEFAULT_AFTER_TIMEOUT_MS = 10_000;

function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** Validates a drill module's default export; every problem names the file and the field. */
export function validateDrill(raw: unknown, file: string): DrillPlan {
  const parsed = drillSchema.safeParse(raw);
  if (!parsed.success) {
    throw drillError(
      file,
      parsed.error.issues.map((i) => ({ path: pathOf(i.path), message: issueText(i) })),
    );
  }
  const drill = parsed.data;
  const issues: ConfigIssue[] = [];
  const loadedStack = stackOf(drill);
  const backendNames = loadedStack.backends.map((b) => b.name);
  const targetNames = [...backendNames, BALANCER_TARGET];
  issues.push(
    ...balancerSettingsIssues(
      {
        backends: loadedStack.backends,
        settings: loadedStack.balancer,
        pool: loadedStack.pool,
        protocol: loadedStack.protocol,
      },
      { settings: 'stack.balancer', pool: 'stack.pool' },
    ),
  );
  checkProtocol(drill, loadedStack, issues);
  const steps = nameSteps(drill.method, issues);

  for (const [i, s] of steps.entries()) {
    checkStep(s, drill.method[i] as ParsedStep, i, { backendNames, targetNames, steps, issues });
  }

  const parseAll = (texts: readonly string[], field: string): Sla[] =>
    texts.flatMap((text, i) => {
      try {
        return [parseSla(text)];
      } catch (err) {
        issues.push({ path: `${field}[${i}]`, message: (err as Error).message });
        return [];
      }
    });
  const steady = Array.isArray(drill.steadyState)
    ? { durationMs: DEFAULT_STEADY_MS, thresholds: drill.steadyState }
    : {
        durationMs: drill.steadyState?.duration ?? DEFAULT_STEADY_MS,
        thresholds: drill.steadyState?.thresholds ?? [],
      };
  const steadyThresholds = parseAll(steady.thresholds, 'steadyState');
  const sla = parseAll(drill.sla, 'sla');
  const abortWhen = parseAll(drill.abortWhen ?? [], 'abortWhen');
  for (const [list, field] of [
    [steadyThresholds, 'steadyState'],
    [abortWhen, 'abortWhen'],
  ] as const) {
    list.forEach((t, i) => {
      if (t.window)
        issues.push({ path: `${field}[${i}]`, message: `"${t.source}": a threshold here takes no window` });
      if (['detection', 'failover', 'recovery'].includes(t.metric.kind))
        issues.push({
          path: `${field}[${i}]`,
          message: `"${t.source}": ${t.metric.kind} is an SLA, not a threshold`,
        });
    });
  }
  const stepRefs = steps.map((s) => ({
    name: s.name,
    aliases: s.aliases,
    isFault: s.action.kind === 'fault',
    targetsBalancer: s.targets.includes(BALANCER_TARGET),
  }));
  for (const problem of checkSlaReferences(sla, stepRefs)) issues.push({ path: 'sla', message: problem });

  const lastAt = Math.max(
    0,
    ...steps.map((s) => (s.trigger.kind === 'at' ? s.trigger.offsetMs + (s.forMs ?? 0) : 0)),
  );
  const methodMs = drill.duration ?? lastAt + METHOD_TAIL_MS;
  if (drill.duration !== undefined && lastAt >= drill.duration) {
    issues.push({
      path: 'duration',
      message: `the method lasts ${drill.duration}ms but a step runs at ${lastAt}ms`,
    });
  }
  if (issues.length > 0) throw drillError(file, issues);
  return {
    file,
    name: drill.name,
    description: drill.description,
    stack: loadedStack,
    load: {
      rate: drill.load.rate,
      requests: (drill.load.requests ?? [{}]).map((r) => ({
        method: r.method ?? 'GET',
        path: r.path ?? '/',
        ...(r.body !== undefined ? { body: r.body } : {}),
        ...(r.headers ? { headers: r.headers } : {}),
      })),
      timeoutMs: drill.load.timeout ?? 5000,
      connections: drill.load.connections ?? (loadedStack.protocol === 'tcp' ? 16 : 64),
      newConnections: drill.load.newConnections ?? 0.5,
      warmup: warmupOf(drill.load.warmup, drill.load.rate),
    },
    steadyState: { durationMs: steady.durationMs, thresholds: steadyThresholds },
    steps,
    methodMs,
    sla,
    abortWhen,
  };
}

function warmupOf(input: ParsedDrill['load']['warmup'], rate: number): DrillPlan['load']['warmup'] {
  return {
    durationMs: input?.durationMs ?? defaultWarmupMs(rate),
    from: input?.from ?? DEFAULT_WARMUP_FROM,
  };
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'stack')
    return 'must be "sample" or { backends, proxies, protocol, pool, balancer }';
  return issue.message;
}

function drillError(file: string, issues: readonly ConfigIssue[]): ConfigError {
  return new ConfigError(file, issues, 'FL_DRILL_INVALID', 'drill');
}

function stackOf(drill: ParsedDrill): StackSpec {
  if (drill.stack === 'sample') return { backends: SAMPLE_STACK, proxies: false };
  return {
    backends: drill.stack.backends ?? SAMPLE_STACK,
    proxies: drill.stack.proxies ?? false,
    ...(drill.stack.pool ? { pool: drill.stack.pool } : {}),
    ...(drill.stack.balancer ? { balancer: drill.stack.balancer } : {}),
    ...(drill.stack.protocol ? { protocol: drill.stack.protocol } : {}),
  };
}

/** Faults that act through the HTTP sample backend's control API. */
const HTTP_FAULTS: ReadonlySet<string> = new Set(['http_error', 'http_hang', 'http_latency']);

/** A tcp stack carries line exchanges: what only HTTP has is named, not ignored. */
function checkProtocol(drill: ParsedDrill, stack: StackSpec, issues: ConfigIssue[]): void {
  if (stack.protocol === 'tcp') {
    if (drill.load.requests !== undefined) {
      issues.push({
        path: 'load.requests',
        message:
          'a tcp stack (stack.protocol: tcp) carries line exchanges, not HTTP requests: leave requests out',
      });
    }
    drill.method.forEach((s, i) => {
      if (s.action.kind === 'fault' && HTTP_FAULTS.has(s.action.fault)) {
        issues.push({
          path: `method[${i}].action.fault`,
          message: `${s.action.fault} acts on the HTTP sample backend's answers; a tcp stack's backends are line echo servers (network faults need stack.proxies: true)`,
        });
      }
    });
  } else if (drill.load.newConnections !== undefined) {
    issues.push({
      path: 'load.newConnections',
      message: 'applies only to a tcp stack (stack.protocol: tcp)',
    });
  }
}

function autoName(action: ParsedStep['action'], index: number): string {
  switch (action.kind) {
    case 'fault':
      return `${action.fault}-${action.targets.join('-')}`;
    case 'admin':
      return `${action.op}-${action.server}`;
    case 'revert':
      return `revert-${action.step}`;
    case 'shell':
      return `shell-${index + 1}`;
  }
}

function verbOf(action: ParsedStep['action']): string {
  return action.kind === 'fault' ? action.fault : action.kind === 'admin' ? action.op : action.kind;
}

function nameSteps(method: readonly ParsedStep[], issues: ConfigIssue[]): PlanStep[] {
  const used = new Map<string, number>();
  const verbs = new Map<string, number>();
  for (const s of method) verbs.set(verbOf(s.action), (verbs.get(verbOf(s.action)) ?? 0) + 1);
  return method.map((s, i) => {
    let stepName = s.as ?? autoName(s.action, i);
    if (used.has(stepName)) {
      if (s.as) issues.push({ path: `method[${i}].as`, message: `"${s.as}" names two steps` });
      let n = 2;
      while (used.has(`${stepName}-${n}`)) n++;
      stepName = `${stepName}-${n}`;
    }
    used.set(stepName, i);
    const verb = verbOf(s.action);
    return {
      name: stepName,
      aliases: verbs.get(verb) === 1 && verb !== stepName ? [verb] : [],
      trigger:
        s.trigger.kind === 'at'
          ? { kind: 'at', offsetMs: s.trigger.offset }
          : {
              kind: 'after',
              condition: s.trigger.condition,
              timeoutMs: s.trigger.timeout ?? DEFAULT_AFTER_TIMEOUT_MS,
            },
      action: s.action as DrillAction,
      targets:
        s.action.kind === 'fault' ? s.action.targets : s.action.kind === 'admin' ? [s.action.server] : [],
      ...(s.for !== undefined ? { forMs: s.for } : {}),
    };
  });
}

function checkStep(
  s: PlanStep,
  raw: ParsedStep,
  i: number,
  ctx: { backendNames: string[]; targetNames: string[]; steps: PlanStep[]; issues: ConfigIssue[] },
): void {
  const at = (field: string, message: string) => ctx.issues.push({ path: `method[${i}]${field}`, message });
  const a = s.action;
  if (raw.for !== undefined && a.kind !== 'fault') at('.for', 'only a fault can be held for a while');
  if (
    s.trigger.kind === 'after' &&
    s.trigger.condition.server &&
    !ctx.backendNames.includes(s.trigger.condition.server)
  )
    at(
      '.trigger.condition.server',
      `no server "${s.trigger.condition.server}" (servers: ${ctx.backendNames.join(', ')})`,
    );
  switch (a.kind) {
    case 'fault': {
      const f = findFault(a.fault);
      if (!f) {
        at('.action.fault', `unknown fault "${a.fault}" (faults: ${faultNames().join(', ')})`);
        return;
      }
      const params = f.params.safeParse(a.params);
      if (!params.success) {
        for (const issue of params.error.issues) {
          at(`.action.params${issue.path.length ? `.${issue.path.join('.')}` : ''}`, issueText(issue));
        }
      }
      a.targets.forEach((t, j) => {
        if (!ctx.targetNames.includes(t))
          at(
            `.action.targets[${j}]`,
            `no target "${t}" in the stack (targets: ${ctx.targetNames.join(', ')})`,
          );
      });
      return;
    }
    case 'admin':
      if (!ctx.backendNames.includes(a.server))
        at('.action.server', `no server "${a.server}" (servers: ${ctx.backendNames.join(', ')})`);
      return;
    case 'revert': {
      const earlier = ctx.steps.slice(0, i).find((o) => o.name === a.step || o.aliases.includes(a.step));
      if (earlier?.action.kind !== 'fault') at('.action.step', `"${a.step}" is not an earlier fault step`);
      return;
    }
    case 'shell':
      return;
  }
}
