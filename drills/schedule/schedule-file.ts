import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Cron } from 'croner';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError, FaultlineError } from '../../core/errors.ts';
import { durationField, nameField } from '../../core/validation/fields.ts';
import { locatedIssues, makeLocator } from '../../core/validation/locate.ts';
import { NOTIFY_EVENTS, WEBHOOK_DEFAULTS, type WebhookTarget } from '../notify/webhook.ts';
import { type Calendar, isTimeZone, type TimeWindow, WEEKDAYS, type Weekday } from './calendar.ts';

/** One scheduled job, validated; paths resolved against the schedule file's folder. */
export interface ScheduleJob extends Calendar {
  /** Catalog drill names, drill files and runbook files, run in order on each tick. */
  run: string[];
  target: 'local' | 'compose';
  minIntervalMs: number;
  leashed: boolean;
  missed: { policy: 'skip' } | { policy: 'run-latest'; deadlineMs: number };
  outageCheck?: OutageCheck;
  /** The line of the job in the schedule file, for messages. */
  line?: number;
}

export interface OutageCheck {
  /** The balancer's admin API base URL. */
  admin: string;
  /** The admin token, read from this environment variable. */
  tokenEnv?: string;
}

export interface SchedulePlan {
  file: string;
  reportDir: string;
  history: string;
  webhooks: WebhookTarget[];
  jobs: ScheduleJob[];
}

const HHMM = /^([01]\d|2[0-4]):([0-5]\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const clock = (what: string) =>
  z.string({ error: `${what} is required: a time of day such as "09:00"` }).transform((text, ctx) => {
    const m = HHMM.exec(text);
    const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
    if (!m || minutes > 1440) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a time of day "HH:MM" from 00:00 to 24:00, got "${text}"`,
      });
      return z.NEVER;
    }
    return minutes;
  });

const NAMED_DAYS: Record<string, readonly number[]> = {
  daily: [0, 1, 2, 3, 4, 5, 6],
  weekdays: [1, 2, 3, 4, 5],
  weekends: [0, 6],
};

/** `mon-fri`, `[mon, wed]`, `weekdays`, `weekends`, `daily`. */
const days = z
  .union([z.string(), z.array(z.string())], {
    error: 'must be days such as mon-fri, [mon, wed], weekdays or daily',
  })
  .transform((input, ctx) => {
    const out = new Set<number>();
    const index = (d: string) => WEEKDAYS.indexOf(d.trim().toLowerCase().slice(0, 3) as Weekday);
    for (const part of (Array.isArray(input) ? input : input.split(',')).map((p) => p.trim().toLowerCase())) {
      const named = NAMED_DAYS[part];
      if (named) for (const d of named) out.add(d);
      else if (/^[a-z]+-[a-z]+$/.test(part)) {
        const [a, b] = part.split('-').map(index) as [number, number];
        if (a < 0 || b < 0) {
          ctx.addIssue({ code: 'custom', message: `"${part}" is not a range of days such as mon-fri` });
          return z.NEVER;
        }
        for (let d = a; ; d = (d + 1) % 7) {
          out.add(d);
          if (d === b) break;
        }
      } else if (index(part) >= 0 && WEEKDAYS.some((w) => part.startsWith(w))) out.add(index(part));
      else {
        ctx.addIssue({
          code: 'custom',
          message: `"${part}" is not a day (mon, tue, … sun, weekdays, weekends, daily)`,
        });
        return z.NEVER;
      }
    }
    return [...out].sort();
  });

const windowSchema = z
  .strictObject({ days: days.default([0, 1, 2, 3, 4, 5, 6]), from: clock('from'), to: clock('to') })
  .refine((w) => w.from !== w.to, {
    message: 'from and to are equal: an empty window (all day is 00:00 to 24:00)',
  });

const blackoutDate = z.string().transform((text, ctx) => {
  const [first, last = first] = text.split('..').map((p) => p.trim()) as [string, string?];
  const valid = (d: string) =>
    DATE.test(d) &&
    !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) &&
    new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
  if (!valid(first) || !valid(last as string) || (last as string) < first) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD, got "${text}"`,
    });
    return z.NEVER;
  }
  const dates: string[] = [];
  for (
    let d = new Date(`${first}T00:00:00Z`);
    d.toISOString().slice(0, 10) <= (last as string);
    d.setUTCDate(d.getUTCDate() + 1)
  ) {
    dates.push(d.toISOString().slice(0, 10));
    if (dates.length > 3660) break;
  }
  return dates;
});

const timezone = z.string().refine(isTimeZone, {
  message: 'is not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)',
});

const outageSchema = z.strictObject({
  admin: z.url({ protocol: /^https?$/, error: 'must be the admin API URL, e.g. http://127.0.0.1:9901' }),
  tokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
    .optional(),
});

const cronField = z.string().superRefine((expr, ctx) => {
  try {
    new Cron(expr, { paused: true });
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `is not a valid cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}`,
    });
  }
});

const jobSchema = z
  .strictObject({
    name: nameField(),
    cron: cronField.optional(),
    random: z.strictObject({ seed: z.union([z.string(), z.number()]).transform(String) }).optional(),
    timezone: timezone.optional(),
    run: z.preprocess(
      (v) => (typeof v === 'string' ? [v] : v),
      z
        .array(z.string().min(1), { error: 'must be a drill, a drill file or a runbook, or a list of them' })
        .min(1, 'needs at least one drill or runbook'),
    ),
    target: z.enum(['local', 'compose']).default('local'),
    windows: z.array(windowSchema).default([]),
    blackout: z.array(blackoutDate).default([]),
    minInterval: durationField(0).default(0),
    leashed: z.boolean().default(false),
    missed: z
      .union(
        [
          z.literal('skip').transform(() => ({ policy: 'skip' as const })),
          z.strictObject({ policy: z.literal('skip') }),
          z
            .strictObject({ policy: z.literal('run-latest'), deadline: durationField(1000) })
            .transform((m) => ({ policy: 'run-latest' as const, deadlineMs: m.deadline })),
        ],
        { error: 'must be "skip" or { policy: run-latest, deadline: 10m }' },
      )
      .default({ policy: 'skip' }),
    outageCheck: z.union([outageSchema, z.literal(false)]).optional(),
  })
  .superRefine((job, ctx) => {
    if ((job.cron === undefined) === (job.random === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cron'],
        message: 'give either cron (a cron expression) or random ({ seed }), exactly one',
      });
    }
    if (job.random && job.windows.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['random'],
        message: 'a random time needs windows to pick it in',
      });
    }
  });

const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  format: z.enum(['json', 'slack']).default(WEBHOOK_DEFAULTS.format),
  on: z
    .array(z.enum(NOTIFY_EVENTS as [string, ...string[]]))
    .min(1)
    .default([...NOTIFY_EVENTS]),
  timeout: durationField(1).default(WEBHOOK_DEFAULTS.timeoutMs),
  retries: z.number().int().min(0).max(10).default(WEBHOOK_DEFAULTS.retries),
});

const fileSchema = z.strictObject({
  timezone: timezone.default('UTC'),
  reportDir: z.string().min(1).default('reports'),
  history: z.string().min(1).optional(),
  outageCheck: outageSchema.optional(),
  notify: z.array(webhookSchema).default([]),
  jobs: z.array(jobSchema, { error: 'is required: a list of jobs' }).min(1, 'needs at least one job'),
});

/** Reads and validates a schedule file: every problem at once, each with its line. */
export function loadScheduleFile(file: string): SchedulePlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FaultlineError(
      'FL_SCHEDULE_INVALID',
      `cannot read schedule ${file}: ${(err as Error).message}`,
    );
  }
  return parseSchedule(text, file);
}

export function parseSchedule(text: string, file: string): SchedulePlan {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const fail = (issues: { path: string; message: string; line?: number }[]) =>
    new ConfigError(file, issues, 'FL_SCHEDULE_INVALID', 'schedule');
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as (typeof doc.errors)[number];
    throw fail([
      {
        path: '(file)',
        message: `not valid YAML: ${first.message.split('\n')[0]}`,
        line: lineCounter.linePos(first.pos[0]).line,
      },
    ]);
  }
  const locate = makeLocator(doc, lineCounter);
  const parsed = fileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw fail(locatedIssues(parsed.error.issues, locate));
  }
  const raw = parsed.data;
  const names = new Map<string, number>();
  const dupes = raw.jobs.flatMap((j, i) => {
    const seen = names.get(j.name);
    names.set(j.name, i);
    const line = locate(['jobs', i, 'name']);
    return seen === undefined
      ? []
      : [
          {
            path: `jobs[${i}].name`,
            message: `"${j.name}" is also the name of jobs[${seen}]`,
            ...(line ? { line } : {}),
          },
        ];
  });
  if (dupes.length) throw fail(dupes);
  const base = dirname(resolve(file));
  const reportDir = resolve(base, raw.reportDir);
  return {
    file: resolve(file),
    reportDir,
    history: raw.history ? resolve(base, raw.history) : resolve(reportDir, 'history.sqlite'),
    webhooks: raw.notify.map((w) => ({
      url: w.url,
      format: w.format,
      on: w.on as WebhookTarget['on'],
      timeoutMs: w.timeout,
      retries: w.retries,
    })),
    jobs: raw.jobs.map((j, i): ScheduleJob => {
      const tz = j.timezone ?? raw.timezone;
      const outage = j.outageCheck === false ? undefined : (j.outageCheck ?? raw.outageCheck);
      const line = locate(['jobs', i]);
      return {
        name: j.name,
        timezone: tz,
        when:
          j.cron !== undefined
            ? { kind: 'cron', expression: j.cron }
            : { kind: 'random', seed: j.random?.seed ?? '' },
        windows: j.windows.map(
          (w, k): TimeWindow => ({ ...w, source: windowSource(doc.toJS().jobs[i].windows[k]) }),
        ),
        blackout: new Set(j.blackout.flat()),
        run: j.run.map((r) => (/[/\\]|\.(md|ts|js|mjs)$/i.test(r) ? resolve(base, r) : r)),
        target: j.target,
        minIntervalMs: j.minInterval,
        leashed: j.leashed,
        missed: j.missed,
        ...(outage ? { outageCheck: outage } : {}),
        ...(line ? { line } : {}),
      };
    }),
  };
}

function windowSource(w: { days?: string | string[]; from: string; to: string }): string {
  const d = w.days === undefined ? 'daily' : Array.isArray(w.days) ? w.days.join(',') : w.days;
  return `${d} ${w.from}-${w.to}`;
}
