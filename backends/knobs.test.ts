import { describe, expect, it } from 'vitest';
import { EnvError, readBackendEnv } from './env.ts';
import { createKnobs, DEFAULT_KNOBS, KnobError, parseKnobPatch } from './knobs.ts';

describe('parseKnobPatch', () => {
  it.each([
    [{ latencyMs: -1 }, 'latencyMs'],
    [{ latencyMs: 1.5 }, 'latencyMs'],
    [{ latencyMs: '100' }, 'latencyMs'],
    [{ errorRate: 1.01 }, 'errorRate'],
    [{ errorRate: null }, 'errorRate'],
    [{ errorStatus: 200 }, 'errorStatus'],
    [{ hang: 'true' }, 'hang'],
    [{ healthStatus: 99 }, 'healthStatus'],
    [{ latency: 10 }, 'latency'],
    [[], 'body'],
    ['x', 'body'],
  ])('rejects %j naming %s', (input, field) => {
    let error: unknown;
    try {
      parseKnobPatch(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KnobError);
    expect((error as KnobError).field).toBe(field);
    expect((error as KnobError).message).toContain(field);
  });

  it('accepts a valid partial', () => {
    expect(parseKnobPatch({ latencyMs: 0, errorRate: 0.5, hang: true })).toEqual({
      latencyMs: 0,
      errorRate: 0.5,
      hang: true,
    });
  });
});

describe('createKnobs', () => {
  it('sets, validates and resets to the start values', () => {
    const knobs = createKnobs({ latencyMs: 10 });
    expect(knobs.get()).toEqual({ ...DEFAULT_KNOBS, latencyMs: 10 });
    knobs.set({ errorRate: 1, errorStatus: 503 });
    expect(() => knobs.set({ errorRate: 2 })).toThrow(/errorRate must be a number from 0 to 1/);
    expect(knobs.get()).toMatchObject({ latencyMs: 10, errorRate: 1, errorStatus: 503 });
    expect(knobs.reset()).toEqual({ ...DEFAULT_KNOBS, latencyMs: 10 });
  });
});

describe('readBackendEnv', () => {
  it('reads names, port and knobs', () => {
    const env = readBackendEnv({
      BACKEND_NAME: 'app1',
      PORT: '0',
      LATENCY_MS: '25',
      ERROR_RATE: '0.25',
      ERROR_STATUS: '502',
      HANG: 'true',
      HEALTH_STATUS: '503',
    });
    expect(env).toMatchObject({ name: 'app1', host: '127.0.0.1', port: 0, shutdownTimeoutMs: 5000 });
    expect(env.knobs).toEqual({
      latencyMs: 25,
      errorRate: 0.25,
      errorStatus: 502,
      hang: true,
      healthStatus: 503,
    });
  });

  it.each([
    [
      'LATENCY_MS',
      'soon',
      /LATENCY_MS must be an integer number of milliseconds from 0 to 600000, got "soon"/,
    ],
    ['ERROR_RATE', '50%', /ERROR_RATE must be a number from 0 to 1/],
    ['ERROR_STATUS', '', null],
    ['ERROR_STATUS', '302', /ERROR_STATUS must be an integer HTTP status from 400 to 599/],
    ['HANG', 'maybe', /HANG must be one of 1, true, yes, on, 0, false, no, off/],
    ['HEALTH_STATUS', '1e3', /HEALTH_STATUS must be an integer HTTP status from 200 to 599/],
    ['PORT', '65536', /PORT must be an integer from 0 to 65535/],
    ['SHUTDOWN_TIMEOUT_MS', 'x', /SHUTDOWN_TIMEOUT_MS must be an integer/],
    ['BACKEND_NAME', 'two words', /BACKEND_NAME must be 1 to 128 visible ASCII characters/],
  ])('%s=%j', (variable, value, message) => {
    const read = () => readBackendEnv({ [variable]: value });
    if (message === null) {
      expect(read).not.toThrow();
      return;
    }
    expect(read).toThrow(EnvError);
    expect(read).toThrow(message);
  });
});
