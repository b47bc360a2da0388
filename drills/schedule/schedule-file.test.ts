import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.ts';
import { parseSchedule } from './schedule-file.ts';

function problems(yaml: string): string {
  try {
    parseSchedule(yaml, '/etc/faultline/schedule.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('FL_SCHEDULE_INVALID');
    return (err as Error).message;
  }
  throw new Error('expected the schedule to be refused');
}

describe('schedule file', () => {
  it('reads a full schedule: defaults, paths against the file, per-job time zones', () => {
    const plan = parseSchedule(
      `timezone: Europe/Berlin
reportDir: out
outageCheck: { admin: "http://127.0.0.1:9901", tokenEnv: ADMIN_TOKEN }
notify:
  - url: http://127.0.0.1:9000/hook
    format: slack
    on: [breach]
jobs:
  - name: crash
    cron: "0 */15 9-17 * * mon-fri"
    run: [primary-crash, ../runbooks/primary-down.md, ./mine.drill.ts]
    minInterval: 1h
    leashed: true
    missed: { policy: run-latest, deadline: 10m }
  - name: nightly
    random: { seed: 42 }
    run: primary-crash
    timezone: America/New_York
    windows: [{ days: weekdays, from: "22:00", to: "02:00" }]
    blackout: [2026-12-24..2026-12-26, 2027-01-01]
    outageCheck: false
`,
      '/etc/faultline/schedule.yaml',
    );
    expect(plan.reportDir).toBe('/etc/faultline/out');
    expect(plan.history).toBe('/etc/faultline/out/history.sqlite');
    expect(plan.webhooks).toEqual([
      { url: 'http://127.0.0.1:9000/hook', format: 'slack', on: ['breach'], timeoutMs: 5000, retries: 2 },
    ]);
    const [crash, nightly] = plan.jobs;
    expect(crash).toMatchObject({
      timezone: 'Europe/Berlin',
      when: { kind: 'cron', expression: '0 */15 9-17 * * mon-fri' },
      run: ['primary-crash', '/etc/runbooks/primary-down.md', '/etc/faultline/mine.drill.ts'],
      target: 'local',
      minIntervalMs: 3_600_000,
      leashed: true,
      missed: { policy: 'run-latest', deadlineMs: 600_000 },
      outageCheck: { admin: 'http://127.0.0.1:9901', tokenEnv: 'ADMIN_TOKEN' },
    });
    expect(nightly?.timezone).toBe('America/New_York');
    expect(nightly?.windows[0]).toMatchObject({ days: [1, 2, 3, 4, 5], from: 1320, to: 120 });
    expect([...(nightly?.blackout ?? [])]).toEqual(['2026-12-24', '2026-12-25', '2026-12-26', '2027-01-01']);
    expect(nightly?.outageCheck).toBeUndefined();
    expect(nightly?.missed).toEqual({ policy: 'skip' });
  });

  it.each([
    ['jobs: []', 'schedule.yaml:1: jobs: needs at least one job'],
    [
      'timezone: Mars/Olympus\njobs: [{ name: a, cron: "* * * * *", run: x }]',
      'schedule.yaml:1: timezone: is not an IANA time zone name',
    ],
    [
      'jobs:\n  - name: a\n    cron: "61 * * * *"\n    run: x',
      'schedule.yaml:3: jobs[0].cron: is not a valid cron expression: Invalid value for minute: 61',
    ],
    [
      'jobs:\n  - name: a\n    run: x',
      'jobs[0].cron: give either cron (a cron expression) or random ({ seed }), exactly one',
    ],
    [
      'jobs:\n  - name: a\n    random: { seed: 1 }\n    run: x',
      'jobs[0].random: a random time needs windows to pick it in',
    ],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: []',
      'schedule.yaml:4: jobs[0].run: needs at least one drill or runbook',
    ],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n    windows: [{ days: mon-frx, from: "09:00", to: "17:00" }]',
      'schedule.yaml:5: jobs[0].windows[0].days: "mon-frx" is not a range of days',
    ],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n    windows: [{ from: "9am", to: "17:00" }]',
      'jobs[0].windows[0].from: must be a time of day "HH:MM" from 00:00 to 24:00, got "9am"',
    ],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n    windows: [{ from: "09:00", to: "09:00" }]',
      'from and to are equal: an empty window',
    ],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n    blackout: [2026-02-30]',
      'schedule.yaml:5: jobs[0].blackout[0]: must be a date YYYY-MM-DD or a range',
    ],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n    minInterval: soon',
      'jobs[0].minInterval: must be a duration',
    ],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n    missed: later',
      'jobs[0].missed: must be "skip" or { policy: run-latest, deadline: 10m }',
    ],
    ['jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n    target: staging', 'jobs[0].target:'],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n    leashd: true',
      'jobs[0]: unknown field "leashd"',
    ],
    [
      'jobs:\n  - name: a\n    cron: "* * * * *"\n    run: x\n  - name: a\n    cron: "* * * * *"\n    run: y',
      'schedule.yaml:5: jobs[1].name: "a" is also the name of jobs[0]',
    ],
    [
      'notify: [{ url: "ftp://x" }]\njobs: [{ name: a, cron: "* * * * *", run: x }]',
      'notify[0].url: must be an http(s) URL',
    ],
    ['jobs: [{ name: a, cron: "* * * * *", run: x }', 'not valid YAML'],
  ])('refuses %j', (yaml, expected) => {
    const message = problems(yaml);
    expect(message).toContain(expected);
    expect(message).toContain('/etc/faultline/schedule.yaml');
  });

  it('names every problem at once', () => {
    const message = problems('timezone: Nowhere\njobs:\n  - name: a\n    cron: "* * *"\n    run: []');
    expect(message.split('\n').filter((l) => l.includes('schedule.yaml:'))).toHaveLength(3);
  });
});
