import type { HistoryRun } from '../history/runs.ts';

/** What a webhook is told about. */
export type NotifyEvent = 'breach' | 'error' | 'recovery';
export const NOTIFY_EVENTS: readonly NotifyEvent[] = ['breach', 'error', 'recovery'];

export interface WebhookTarget {
  url: string;
  /** `json`: faultline's summary; `slack`: a Slack incoming-webhook body (`{ text }`). */
  format: 'json' | 'slack';
  on: readonly NotifyEvent[];
  timeoutMs: number;
  /** Further attempts after the first fails. */
  retries: number;
}

export const WEBHOOK_DEFAULTS = { format: 'json', on: NOTIFY_EVENTS, timeoutMs: 5000, retries: 2 } as const;

export interface Delivery {
  url: string;
  event: NotifyEvent;
  outcome: 'delivered' | 'failed';
  attempts: number;
  error?: string;
}

/**
 * The event a finished run is worth telling about: a breach (or an abort: the service was not
 * steady), an error, or a pass right after a run of the same drill that breached or failed.
 */
export function notifyEventOf(run: HistoryRun, previous: HistoryRun | undefined): NotifyEvent | undefined {
  if (run.status === 'breached' || run.status === 'aborted') return 'breach';
  if (run.status === 'error') return 'error';
  if (run.status === 'passed' && previous && ['breached', 'aborted', 'error'].includes(previous.status)) {
    return 'recovery';
  }
  return undefined;
}

export interface Summary {
  event: NotifyEvent;
  kind: HistoryRun['kind'];
  drill: string;
  status: HistoryRun['status'];
  runId: string;
  job?: string;
  target: string;
  startedAt: string;
  reason?: string;
  failing: Array<{ sla: string; value: number | null; limit: number; unit: string; detail: string }>;
  report?: string;
  leashed: boolean;
}

export function summaryOf(run: HistoryRun, event: NotifyEvent): Summary {
  return {
    event,
    kind: run.kind,
    drill: run.name,
    status: run.status,
    runId: run.runId,
    ...(run.job ? { job: run.job } : {}),
    target: run.target,
    startedAt: new Date(run.startedAt).toISOString(),
    ...(run.reason ? { reason: run.reason } : {}),
    failing: run.sla
      .filter((s) => s.verdict === 'failed')
      .map((s) => ({ sla: s.source, value: s.value, limit: s.limit, unit: s.unit, detail: s.detail })),
    ...(run.reportDir ? { report: `${run.reportDir}/report.html` } : {}),
    leashed: run.leashed,
  };
}

/** A Slack incoming-webhook message (`text` with mrkdwn) for the summary. */
export function slackBody(s: Summary): { text: string } {
  const icon =
    s.event === 'recovery' ? ':white_check_mark:' : s.event === 'breach' ? ':rotating_light:' : ':x:';
  const head = `${icon} faultline ${s.kind} *${s.drill}* ${s.event === 'recovery' ? 'recovered' : s.status}${s.job ? ` (job ${s.job})` : ''} on ${s.target}`;
  const lines = [
    head,
    ...(s.reason && s.event !== 'recovery' ? [`> ${s.reason}`] : []),
    ...s.failing.map((f) => `• \`${f.sla}\`: ${f.detail}`),
    ...(s.report ? [`report: ${s.report}`] : []),
  ];
  return { text: lines.join('\n') };
}

/**
 * POSTs the summary to every target that wants this event, each with its timeout and retries
 * (backing off 0.5 s, 1 s, 2 s …). Never throws: a failing webhook is a failed delivery.
 */
export async function deliver(
  targets: readonly WebhookTarget[],
  summary: Summary,
  options: { backoffMs?: number } = {},
): Promise<Delivery[]> {
  const wanted = targets.filter((t) => t.on.includes(summary.event));
  return Promise.all(wanted.map((t) => deliverOne(t, summary, options.backoffMs ?? 500)));
}

async function deliverOne(target: WebhookTarget, summary: Summary, backoffMs: number): Promise<Delivery> {
  const body = JSON.stringify(target.format === 'slack' ? slackBody(summary) : summary);
  let error = '';
  for (let attempt = 1; attempt <= target.retries + 1; attempt++) {
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'faultline' },
        body,
        signal: AbortSignal.timeout(target.timeoutMs),
      });
      await res.body?.cancel();
      if (res.ok) return { url: target.url, event: summary.event, outcome: 'delivered', attempts: attempt };
      error = `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      error =
        e.name === 'TimeoutError'
          ? `no answer within ${target.timeoutMs} ms`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
    }
    if (attempt <= target.retries) await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
  }
  return { url: target.url, event: summary.event, outcome: 'failed', attempts: target.retries + 1, error };
}
