import { describe, expect, it } from 'vitest';
import {
  type Calendar,
  calendarVeto,
  instantOf,
  localTime,
  nextTicks,
  ticksBetween,
  windowAt,
} from './calendar.ts';
import { parseSchedule } from './schedule-file.ts';

function calendar(yaml: string): Calendar {
  const plan = parseSchedule(
    `jobs:\n  - name: j\n    run: primary-crash\n${yaml.replace(/^/gm, '    ')}`,
    'schedule.yaml',
  );
  return plan.jobs[0] as Calendar;
}

const iso = (ms: number) => new Date(ms).toISOString();
const utc = (text: string) => Date.parse(text);

describe('calendar', () => {
  it('reads wall-clock time in the job time zone', () => {
    const t = localTime(utc('2026-07-01T22:30:00Z'), 'Asia/Tokyo');
    expect(t.date).toBe('2026-07-02');
    expect(t.weekday).toBe(4); // Thursday
    expect(t.minutes).toBe(7 * 60 + 30);
  });

  it('a cron job in Europe/Berlin runs once on the DST days: the skipped 02:30 shifts to 03:00, the doubled one runs once', () => {
    const cal = calendar('cron: "0 30 2 * * *"\ntimezone: Europe/Berlin');
    // Spring forward on 2026-03-29: 02:00 CET jumps to 03:00 CEST.
    expect(nextTicks(cal, utc('2026-03-27T12:00:00Z'), 3).map(iso)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    // Fall back on 2026-10-25: 02:30 happens twice (CEST, then CET); the job runs at the first.
    expect(nextTicks(cal, utc('2026-10-24T12:00:00Z'), 2).map(iso)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('an hourly job across a New York DST change keeps every wall-clock hour that exists', () => {
    const cal = calendar('cron: "0 0 * * * *"\ntimezone: America/New_York');
    // 2026-03-08 02:00 EST does not exist: 01:00 EST (06:00Z) is followed by 03:00 EDT (07:00Z).
    const ticks = nextTicks(cal, utc('2026-03-08T05:30:00Z'), 3).map(
      (t) => localTime(t, 'America/New_York').text,
    );
    expect(ticks).toEqual(['2026-03-08 01:00:00 EST', '2026-03-08 03:00:00 EDT', '2026-03-08 04:00:00 EDT']);
  });

  it('windows that wrap midnight: the evening on a listed day and the morning after it', () => {
    const cal = calendar(
      'cron: "* * * * *"\ntimezone: Europe/Berlin\nwindows:\n  - { days: fri, from: "22:00", to: "02:00" }',
    );
    // Friday 2026-12-04, CET = UTC+1.
    expect(windowAt(utc('2026-12-04T20:59:00Z'), cal)).toBeUndefined(); // Fri 21:59
    expect(windowAt(utc('2026-12-04T21:00:00Z'), cal)).toBeDefined(); // Fri 22:00
    expect(windowAt(utc('2026-12-05T00:59:00Z'), cal)).toBeDefined(); // Sat 01:59
    expect(windowAt(utc('2026-12-05T01:00:00Z'), cal)).toBeUndefined(); // Sat 02:00
    expect(windowAt(utc('2026-12-05T21:30:00Z'), cal)).toBeUndefined(); // Sat 22:30: not a listed day
    expect(windowAt(utc('2026-12-04T00:30:00Z'), cal)).toBeUndefined(); // Fri 01:30: Thursday is not listed
    expect(calendarVeto(utc('2026-12-05T01:00:00Z'), cal)?.reason).toBe(
      '2026-12-05 02:00:00 GMT+1 is outside its windows (fri 22:00-02:00)',
    );
  });

  it('weekday ranges and 24:00', () => {
    const cal = calendar('cron: "* * * * *"\nwindows:\n  - { days: mon-fri, from: "00:00", to: "24:00" }');
    expect(windowAt(utc('2026-12-04T23:59:00Z'), cal)).toBeDefined(); // Friday
    expect(windowAt(utc('2026-12-05T12:00:00Z'), cal)).toBeUndefined(); // Saturday
    const sunToTue = calendar(
      'cron: "* * * * *"\nwindows:\n  - { days: sun-tue, from: "08:00", to: "09:00" }',
    );
    expect(windowAt(utc('2026-12-06T08:30:00Z'), sunToTue)).toBeDefined(); // Sunday
    expect(windowAt(utc('2026-12-09T08:30:00Z'), sunToTue)).toBeUndefined(); // Wednesday
  });

  it('blackout dates are local dates of the job time zone', () => {
    const cal = calendar('cron: "* * * * *"\ntimezone: Asia/Tokyo\nblackout: [2026-12-24..2026-12-25]');
    expect(calendarVeto(utc('2026-12-23T15:30:00Z'), cal)?.decision).toBe('blackout'); // 00:30 on the 24th in Tokyo
    expect(calendarVeto(utc('2026-12-25T14:59:00Z'), cal)?.decision).toBe('blackout');
    expect(calendarVeto(utc('2026-12-25T15:00:00Z'), cal)).toBeUndefined(); // the 26th in Tokyo
  });

  it('a random job picks one seeded time inside each window occurrence: the same seed, the same times', () => {
    const spec = 'timezone: Europe/Berlin\nwindows:\n  - { days: mon-fri, from: "10:00", to: "16:00" }';
    const a = calendar(`random: { seed: alpha }\n${spec}`);
    const again = calendar(`random: { seed: alpha }\n${spec}`);
    const other = calendar(`random: { seed: beta }\n${spec}`);
    const from = utc('2026-11-30T00:00:00Z'); // a Monday
    const ticks = nextTicks(a, from, 10);
    expect(ticks).toEqual(nextTicks(again, from, 10));
    expect(ticks).not.toEqual(nextTicks(other, from, 10));
    const days = ticks.map((t) => localTime(t, 'Europe/Berlin'));
    expect(days.map((d) => d.date)).toEqual([
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
      '2026-12-07',
      '2026-12-08',
      '2026-12-09',
      '2026-12-10',
      '2026-12-11',
    ]);
    for (const d of days) {
      expect(d.minutes).toBeGreaterThanOrEqual(600);
      expect(d.minutes).toBeLessThan(960);
    }
    // Spread over the window, not stuck at one time of day.
    expect(new Set(days.map((d) => d.minutes)).size).toBeGreaterThan(5);
  });

  it('instantOf maps a local time to the instant, including the DST gap', () => {
    expect(iso(instantOf('2026-12-02', 9 * 60, 'America/New_York'))).toBe('2026-12-02T14:00:00.000Z');
    expect(iso(instantOf('2026-03-29', 2 * 60 + 30, 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(instantOf('2026-12-02', 1440, 'UTC'))).toBe('2026-12-03T00:00:00.000Z');
  });

  it('counts only the ticks its windows and blackout dates let run', () => {
    const cal = calendar(
      'cron: "0 0 * * * *"\nwindows:\n  - { days: mon-fri, from: "09:00", to: "12:00" }\nblackout: [2026-12-03]',
    );
    // Tuesday 2026-12-01 18:00 to Friday 2026-12-04 18:00 UTC: Wed and Fri 09, 10, 11; Thursday is blacked out.
    const { ticks, total, capped } = ticksBetween(
      cal,
      utc('2026-12-01T18:00:00Z'),
      utc('2026-12-04T18:00:00Z'),
      4,
    );
    expect(total).toBe(6);
    expect(capped).toBe(false);
    expect(ticks.map(iso)).toEqual([
      '2026-12-02T11:00:00.000Z',
      '2026-12-04T09:00:00.000Z',
      '2026-12-04T10:00:00.000Z',
      '2026-12-04T11:00:00.000Z',
    ]);
  });

  it('counts the ticks between two instants and keeps the newest when there are too many', () => {
    const cal = calendar('cron: "* * * * * *"');
    const { ticks, total, capped } = ticksBetween(
      cal,
      utc('2026-12-02T10:00:00Z'),
      utc('2026-12-02T11:00:00Z'),
      5,
    );
    expect(total).toBe(3000);
    expect(capped).toBe(true);
    const few = ticksBetween(cal, utc('2026-12-02T10:00:00Z'), utc('2026-12-02T10:00:07Z'), 5);
    expect(few).toMatchObject({ total: 7, capped: false });
    expect(few.ticks.map(iso)[0]).toBe('2026-12-02T10:00:03.000Z');
    expect(ticks.map(iso)).toEqual([
      '2026-12-02T10:59:56.000Z',
      '2026-12-02T10:59:57.000Z',
      '2026-12-02T10:59:58.000Z',
      '2026-12-02T10:59:59.000Z',
      '2026-12-02T11:00:00.000Z',
    ]);
  });
});
