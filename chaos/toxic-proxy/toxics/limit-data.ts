import { defineToxic, intAttribute } from '../toxic.ts';

/** Passes the first `bytes` bytes of the stream, then closes the connection. */
export const limitDataToxic = defineToxic(
  'limit_data',
  'close the connection after bytes bytes',
  { bytes: intAttribute(0, Number.MAX_SAFE_INTEGER, 0) },
  ({ bytes }, ctx) => {
    let passed = 0;
    return {
      pipe(chunk) {
        if (chunk === null) {
          ctx.forward(null);
          return;
        }
        const room = bytes - passed;
        if (room > 0) {
          const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
          passed += part.length;
          ctx.forward(part);
          if (part.length < chunk.length) ctx.discard(chunk.subarray(part.length));
        } else ctx.discard(chunk);
        if (passed >= bytes) ctx.close();
      },
    };
  },
);
