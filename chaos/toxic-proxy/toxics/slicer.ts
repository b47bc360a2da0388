import { defineToxic, intAttribute } from '../toxic.ts';

/**
 * Cuts each chunk into pieces of about `average_size` ± `size_variation` bytes, `delay` µs apart
 * (Toxiproxy's slicer, same halving cut): real networks hand data over in pieces, and code that
 * assumes one read is one message breaks. Order is kept; the end of stream follows the last piece.
 */
export const slicerToxic = defineToxic(
  'slicer',
  'slice data into average_size ± size_variation byte pieces, delay µs apart',
  {
    average_size: intAttribute(1, Number.MAX_SAFE_INTEGER, 1),
    size_variation: intAttribute(0, Number.MAX_SAFE_INTEGER, 0),
    delay: intAttribute(0, 2_147_483_647_000, 0),
  },
  ({ average_size: average, size_variation: variation, delay }, ctx) => {
    const queue: (Buffer | null)[] = [];
    let timer: NodeJS.Timeout | undefined;

    const cuts = (start: number, end: number, out: number[]): void => {
      if (end - start - average <= variation) {
        out.push(end);
        return;
      }
      let mid = start + Math.floor((end - start) / 2);
      if (variation > 0) mid += Math.floor(Math.random() * variation * 2) - variation;
      cuts(start, mid, out);
      cuts(mid, end, out);
    };
    const pump = () => {
      timer = undefined;
      while (queue.length > 0) {
        const piece = queue.shift() ?? null;
        ctx.forward(piece);
        if (piece !== null && delay > 0 && queue.length > 0) {
          timer = setTimeout(pump, delay / 1000);
          return;
        }
      }
    };

    return {
      pipe(chunk) {
        if (chunk === null) queue.push(null);
        else {
          const ends: number[] = [];
          cuts(0, chunk.length, ends);
          let from = 0;
          for (const end of ends) {
            if (end > from) queue.push(chunk.subarray(from, end));
            from = Math.max(from, end);
          }
        }
        if (!timer) pump();
      },
      stop(flush) {
        clearTimeout(timer);
        const held = queue.splice(0);
        if (flush) for (const piece of held) ctx.forward(piece);
      },
    };
  },
  ({ average_size: average, size_variation: variation }) =>
    variation < average
      ? undefined
      : ['size_variation', `must be less than average_size (${average}); got ${variation}`],
);
