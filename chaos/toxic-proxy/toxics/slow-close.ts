import { defineToxic, intAttribute, MAX_MS } from '../toxic.ts';

/** Delays the close (FIN) of the stream by `delay` ms; data passes normally. */
export const slowCloseToxic = defineToxic(
  'slow_close',
  'delay the close (FIN) by delay ms',
  { delay: intAttribute(0, MAX_MS, 0) },
  ({ delay }, ctx) => {
    let timer: NodeJS.Timeout | undefined;
    return {
      pipe(chunk) {
        if (chunk) ctx.forward(chunk);
        else
          timer = setTimeout(() => {
            timer = undefined;
            ctx.forward(null);
          }, delay);
      },
      stop(flush) {
        if (!timer) return;
        clearTimeout(timer);
        if (flush) ctx.forward(null);
      },
    };
  },
);
