import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../errors.ts';
import { assertProcessIdentity, currentInstance, processStartTime } from './identity.ts';

describe('process identity', () => {
  it('names this process by pid and kernel start time', () => {
    const startTime = processStartTime(process.pid);
    expect(startTime).toMatch(/^\d+$/);
    expect(currentInstance(process.pid)).toEqual({ pid: process.pid, startTime });
  });

  it('is supported here, on Linux with /proc', () => {
    expect(() => assertProcessIdentity('the local stack')).not.toThrow();
  });

  it('refuses another OS with one clear message instead of recording empty start times', () => {
    let caught: unknown;
    try {
      assertProcessIdentity('the local stack', 'darwin');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FaultlineError);
    expect((caught as FaultlineError).code).toBe('FL_PLATFORM_UNSUPPORTED');
    expect((caught as Error).message).toMatch(
      /the local stack needs Linux.*this is darwin.*--target compose/,
    );
  });
});
