import { defineToxic, intAttribute, MAX_MS } from '../toxic.ts';

/**
 * Delays every chunk (and the end of stream) by `latency` ± `jitter` ms from when it arrived.
 * Chunks leave in arrival order: a chunk never overtakes an earlier one, whatever its jitter.
 */
export const latencyToxic = defineToxic(
  'latency',
  'delay data by latency ± jitter (ms)',
  { latency: intAttribute(0, MAX_MS, 0), jitter: intAttribute(0, MAX_MS, 0) },
  ({ latency, jitter }, ctx) => {
    const queue: { chunk: Buffer | null; at: number }[] = [];
    let lastAt = 0;
    let timer: NodeJS.Timeout | undefined;

    const release = () => {
      timer = undefined;
      const now = Date.now();
      while (queue[0] && queue[0].at <= now) ctx.forward(queue.shift()?.chunk ?? null);
      schedule();
    };
    const schedule = () => {
      if (timer || !queue[0]) return;
      timer = setTimeout(release, Math.max(0, queue[0].at - Date.now()));
    };

    return {
      pipe(chunk) {
        const delay = Math.max(0, latency + (jitter ? Math.round((Math.random() * 2 - 1) * jitter) : 0));
        lastAt = Math.max(lastAt, Date.now() + delay);
        queue.push({ chunk, at: lastAt });
        schedule();
      },
      stop(flush) {
        clearTimeout(timer);
        const held = queue.splice(0);
        if (flush) for (const item of held) ctx.forward(item.chunk);
      },
    };
  },
);
