import { describe, expect, it } from 'vitest';
import { type MovableTry, WaitingTries } from './waiting-tries.ts';

/** A try that removes itself from `waiting` when told to move, as UpstreamTry does. */
function movable(waiting: WaitingTries, moved: string[], name: string): { slot: number } {
  const entry = { slot: -1 };
  const attempt: MovableTry = {
    moveOff(reason) {
      moved.push(`${name}: ${reason}`);
      waiting.remove(entry.slot);
    },
  };
  entry.slot = waiting.add(attempt);
  return entry;
}

describe('WaitingTries', () => {
  it('moves every try still waiting, once, and reuses the slots of finished ones', () => {
    const waiting = new WaitingTries();
    const moved: string[] = [];
    const a = movable(waiting, moved, 'a');
    const b = movable(waiting, moved, 'b');
    waiting.remove(a.slot); // a got its answer
    const c = movable(waiting, moved, 'c');
    expect(c.slot).toBe(a.slot);
    expect(waiting.size).toBe(2);
    waiting.moveAll('health checks failed');
    expect(moved.sort()).toEqual(['b: health checks failed', 'c: health checks failed']);
    expect(waiting.size).toBe(0);
    waiting.moveAll('again');
    expect(moved).toHaveLength(2);
    expect(b.slot).not.toBe(c.slot);
  });
});
