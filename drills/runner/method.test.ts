import { describe, expect, it } from 'vitest';
import type { ChaosSession } from '../../chaos/session.ts';
import type { RunningStack } from '../../stack/index.ts';
import type { PlanStep } from '../validate.ts';
import { now } from './clock.ts';
import { runMethod } from './method.ts';

// A session whose revert takes 300 ms, as `docker unpause` can on a busy engine: the only way
// to make that happen on demand. Everything else is the real method runner.
function slowRevertSession(calls: { revertCalledAt?: number; revertReturnedAt?: number }) {
  return {
    prepare: async (fault: string, target: string) => ({ description: `${fault} ${target}` }),
    inject: async () => ({ id: 'f1' }),
    revert: async () => {
      calls.revertCalledAt = now();
      await new Promise((r) => setTimeout(r, 300));
      calls.revertReturnedAt = now();
      return [];
    },
  } as unknown as ChaosSession;
}

describe('runMethod', () => {
  it("times a held fault's revert from when it began, not when the call returned", async () => {
    const calls: { revertCalledAt?: number; revertReturnedAt?: number } = {};
    const marks: [string, number][] = [];
    const step: PlanStep = {
      name: 'freeze',
      aliases: [],
      trigger: { kind: 'at', offsetMs: 0 },
      action: { kind: 'fault', fault: 'pause', targets: ['app2'], params: {} } as never,
      targets: ['app2'],
      forMs: 100,
    };
    const outcome = await runMethod(
      {
        steps: [step],
        target: {} as RunningStack,
        session: slowRevertSession(calls),
        signal: new AbortController().signal,
        events: [],
        log: () => {},
        onTime: (at, what) => marks.push([what, at]),
      },
      now(),
    );
    const [record] = outcome.actions;
    const { revertCalledAt = 0, revertReturnedAt = 0 } = calls;
    expect(revertReturnedAt - revertCalledAt).toBeGreaterThanOrEqual(290);
    // What the revert causes can show at once (a paused container's queued probes answered):
    // the "after" window opens when the revert was issued.
    expect(record?.revertedAt).toBeGreaterThanOrEqual(revertCalledAt - 50);
    expect(record?.revertedAt).toBeLessThanOrEqual(revertCalledAt);
    expect(marks.find(([what]) => what === 'revert')?.[1]).toBe(record?.revertedAt);
  });
});
