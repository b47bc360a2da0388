import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseSince } from './history.ts';

describe('history --since', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  it('reads a date, a date-time (UTC unless it names an offset) and a time ago', () => {
    expect(parseSince('2026-11-01', now)).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(parseSince('2026-11-01T08:00', now)).toBe(Date.parse('2026-11-01T08:00:00Z'));
    expect(parseSince('2026-11-01T08:00+02:00', now)).toBe(Date.parse('2026-11-01T06:00:00Z'));
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('12h', now)).toBe(now - 12 * 3_600_000);
    expect(parseSince('30m', now)).toBe(now - 30 * 60_000);
  });
  it.each(['yesterday', '2026-13-45', '7 days', ''])('refuses %j with the rule', (value) => {
    expect(() => parseSince(value, now)).toThrow(InvalidArgumentError);
    expect(() => parseSince(value, now)).toThrow(
      'must be a date (2026-11-01, 2026-11-01T08:00Z) or a time ago',
    );
  });
});
