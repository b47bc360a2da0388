import { createHash } from 'node:crypto';
import { Cron } from 'croner';

/** Days of the week as JavaScript numbers them (0 = Sunday). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * When a job may run, in its time zone: starting on one of `days` at `from` (minutes after
 * midnight) until `to`; a `to` at or before `from` ends on the next day (the window wraps midnight).
 */
export interface TimeWindow {
  days: readonly number[];
  from: number;
  to: number;
  /** As written, for messages (`mon-fri 22:00-02:00`). */
  source: string;
}

/** What the calendar needs to know of a job. */
export interface Calendar {
  timezone: string;
  /** A cron expression (5 fields, or 6 with seconds first), or a seeded random time in each window. */
  when: { kind: 'cron'; expression: string } | { kind: 'random'; seed: string };
  /** Empty: any time. */
  windows: readonly TimeWindow[];
  /** Local dates (YYYY-MM-DD) on which nothing runs. */
  blackout: ReadonlySet<string>;
  /** Salts the random times (the job's name). */
  name: string;
}

export interface LocalTime {
  /** YYYY-MM-DD */
  date: string;
  weekday: number;
  /** Minutes after local midnight. */
  minutes: number;
  /** `2026-03-29 03:30:00 CEST` */
  text: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** True for an IANA zone name this Node knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time in `timezone` at the instant `at` (epoch ms). */
export function localTime(at: number, timezone: string): LocalTime {
  const parts = Object.fromEntries(
    formatterFor(timezone)
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const weekday = WEEKDAYS.indexOf((parts.weekday ?? '').toLowerCase().slice(0, 3) as Weekday);
  const minutes = Number(parts.hour) * 60 + Number(parts.minute);
  return {
    date,
    weekday,
    minutes,
    text: `${date} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`,
  };
}

/** The window `at` falls in, or undefined. A job without windows is always inside. */
export function windowAt(at: number, cal: Calendar): TimeWindow | undefined | 'always' {
  if (cal.windows.length === 0) return 'always';
  const t = localTime(at, cal.timezone);
  const yesterday = (t.weekday + 6) % 7;
  return cal.windows.find((w) => {
    if (w.to > w.from) return w.days.includes(t.weekday) && t.minutes >= w.from && t.minutes < w.to;
    // Wraps midnight: the evening part on a listed day, or the morning part after one.
    return (
      (w.days.includes(t.weekday) && t.minutes >= w.from) || (w.days.includes(yesterday) && t.minutes < w.to)
    );
  });
}

export function inBlackout(at: number, cal: Calendar): boolean {
  return cal.blackout.has(localTime(at, cal.timezone).date);
}

/** Epoch ms of `date` (YYYY-MM-DD) at `minutes` after its midnight in `timezone`; a time the DST gap skips comes out an hour later. */
export function instantOf(date: string, minutes: number, timezone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d + Math.floor(minutes / 1440)));
  const rest = minutes % 1440;
  const cron = new Cron(
    `0 ${rest % 60} ${Math.floor(rest / 60)} ${day.getUTCDate()} ${day.getUTCMonth() + 1} *`,
    { timezone, paused: true },
  );
  const next = cron.nextRun(new Date(day.getTime() - 2 * 86_400_000));
  if (!next) throw new Error(`no instant for ${date} +${minutes}min in ${timezone}`);
  return next.getTime();
}

function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** A number in [0, 1) fixed by the seed, the job and the window occurrence: the same every run. */
function seededFraction(...parts: string[]): number {
  const digest = createHash('sha256').update(parts.join('|')).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** The ticks of a random-in-window job: one per window occurrence, at a seeded time inside it. */
function randomTicks(cal: Calendar & { when: { kind: 'random' } }, after: number, count: number): number[] {
  const ticks: number[] = [];
  let date = addDays(localTime(after, cal.timezone).date, -1);
  for (let day = 0; day < 800 && ticks.length < count; day++, date = addDays(date, 1)) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    cal.windows.forEach((w, i) => {
      if (!w.days.includes(weekday)) return;
      const start = instantOf(date, w.from, cal.timezone);
      const end = instantOf(date, w.to > w.from ? w.to : w.to + 1440, cal.timezone);
      const at =
        start +
        Math.floor((seededFraction(cal.when.seed, cal.name, date, String(i)) * (end - start)) / 1000) * 1000;
      if (at > after && !cal.blackout.has(localTime(at, cal.timezone).date)) ticks.push(at);
    });
  }
  return ticks.sort((a, b) => a - b).slice(0, count);
}

const crons = new WeakMap<Calendar, Cron>();

function cronOf(cal: Calendar & { when: { kind: 'cron' } }): Cron {
  let c = crons.get(cal);
  if (!c) {
    c = new Cron(cal.when.expression, { timezone: cal.timezone, paused: true });
    crons.set(cal, c);
  }
  return c;
}

/** The next `count` ticks strictly after `after` (every cron match; the window is checked at the tick). */
export function nextTicks(cal: Calendar, after: number, count: number): number[] {
  if (cal.when.kind === 'random')
    return randomTicks(cal as Calendar & { when: { kind: 'random' } }, after, count);
  return cronOf(cal as Calendar & { when: { kind: 'cron' } })
    .nextRuns(count, new Date(after))
    .map((d) => d.getTime());
}

/** Ticks scanned (each way) when looking for missed ones: about 0.5 s of croner with a time zone. */
const SCAN_CAP = 3000;

/**
 * The ticks in (from, to] the calendar lets run (inside the windows, off blackout dates): the
 * newest `limit` of them, and how many there were. `capped`: there were more ticks than were
 * scanned, so `total` counts only the oldest SCAN_CAP.
 */
export function ticksBetween(
  cal: Calendar,
  from: number,
  to: number,
  limit: number,
): { ticks: number[]; total: number; capped: boolean } {
  if (to <= from) return { ticks: [], total: 0, capped: false };
  const runnable = (t: number) => calendarVeto(t, cal) === undefined;
  const oldestFirst: number[] = [];
  let total = 0;
  let scanned = 0;
  let capped = false;
  for (let cursor = from; ; ) {
    const batch = nextTicks(cal, cursor, 500).filter((t) => t <= to);
    scanned += batch.length;
    for (const t of batch) {
      if (!runnable(t)) continue;
      total++;
      oldestFirst.push(t);
      if (oldestFirst.length > limit) oldestFirst.shift();
    }
    if (batch.length < 500) break;
    cursor = batch[batch.length - 1] as number;
    if (scanned >= SCAN_CAP) {
      capped = true;
      break;
    }
  }
  if (!capped || cal.when.kind !== 'cron') return { ticks: oldestFirst, total, capped };
  // More ticks than scanned: the newest runnable ones come from scanning back from `to`.
  const cron = cronOf(cal as Calendar & { when: { kind: 'cron' } });
  const newest: number[] = [];
  for (let ref = to + 1, back = 0; newest.length < limit && back < SCAN_CAP; ) {
    const batch = cron
      .previousRuns(500, new Date(ref))
      .map((d) => d.getTime())
      .filter((t) => t > from);
    back += batch.length;
    for (const t of batch) if (newest.length < limit && runnable(t)) newest.push(t);
    if (batch.length < 500) break;
    ref = batch[batch.length - 1] as number;
  }
  return { ticks: newest.reverse(), total, capped };
}

/** Why a tick at `at` may not run by the calendar (blackout, outside every window), or undefined. */
export function calendarVeto(
  at: number,
  cal: Calendar,
): { decision: 'blackout' | 'window'; reason: string } | undefined {
  const t = localTime(at, cal.timezone);
  if (cal.blackout.has(t.date))
    return { decision: 'blackout', reason: `${t.date} is a blackout date (${cal.timezone})` };
  if (windowAt(at, cal) === undefined) {
    return {
      decision: 'window',
      reason: `${t.text} is outside its windows (${cal.windows.map((w) => w.source).join(', ')})`,
    };
  }
  return undefined;
}
