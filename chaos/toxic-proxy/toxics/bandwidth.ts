import { defineToxic, intAttribute } from '../toxic.ts';

/** Slices sent at a time: 100 ms worth of data, as Toxiproxy does. */
const SLICE_MS = 100;

/** Limits throughput to `rate` KB/s (1 KB = 1000 bytes; 0 = unlimited). */
export const bandwidthToxic = defineToxic(
  'bandwidth',
  'limit throughput to rate KB/s',
  { rate: intAttribute(0, Number.MAX_SAFE_INTEGER, 0) },
  ({ rate }, ctx) => {
    if (rate === 0) return { pipe: (chunk) => ctx.forward(chunk) };
    const bytesPerMs = rate; // rate KB/s = rate * 1000 bytes / 1000 ms
    const sliceBytes = Math.max(1, rate * SLICE_MS);
    const queue: (Buffer | null)[] = [];
    /** When the link is free again: each slice "occupies" it for slice.length / rate ms. */
    let freeAt = 0;
    /** When the head slice may go, once computed. */
    let sendAt: number | undefined;
    let timer: NodeJS.Timeout | undefined;

    const pump = () => {
      timer = undefined;
      while (queue.length > 0) {
        const head = queue[0] ?? null;
        if (head === null) {
          queue.shift();
          ctx.forward(null);
          continue;
        }
        const now = Date.now();
        const slice = head.subarray(0, sliceBytes);
        // The slice goes out once the link has been busy long enough to have carried it.
        sendAt ??= Math.max(now, freeAt) + slice.length / bytesPerMs;
        if (sendAt > now + 1) {
          timer = setTimeout(pump, sendAt - now);
          return;
        }
        freeAt = sendAt;
        sendAt = undefined;
        if (slice.length === head.length) queue.shift();
        else queue[0] = head.subarray(slice.length);
        ctx.forward(slice);
      }
    };

    return {
      pipe(chunk) {
        queue.push(chunk);
        if (!timer) pump();
      },
      stop(flush) {
        clearTimeout(timer);
        const held = queue.splice(0);
        if (flush) for (const chunk of held) ctx.forward(chunk);
      },
    };
  },
);
