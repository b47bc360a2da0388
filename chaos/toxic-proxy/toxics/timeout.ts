import { defineToxic, intAttribute, MAX_MS } from '../toxic.ts';

/**
 * Stops all data: while active, every chunk (and the end of stream) is discarded, as in
 * Toxiproxy. `timeout` > 0 closes the connection that many ms after the toxic took effect;
 * 0 holds it open forever (a blackhole) until the toxic is removed, after which new data flows.
 */
export const timeoutToxic = defineToxic(
  'timeout',
  'discard all data; close after timeout ms (0: blackhole forever)',
  { timeout: intAttribute(0, MAX_MS, 0) },
  ({ timeout }, ctx) => {
    const timer = timeout > 0 ? setTimeout(() => ctx.close(), timeout) : undefined;
    return {
      pipe(chunk) {
        if (chunk) ctx.discard(chunk);
      },
      stop() {
        clearTimeout(timer);
      },
    };
  },
);
