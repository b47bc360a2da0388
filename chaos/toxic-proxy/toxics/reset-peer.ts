import { defineToxic, intAttribute, MAX_MS } from '../toxic.ts';

/**
 * Resets the connection (TCP RST both ways: "connection reset by peer") `timeout` ms after the
 * toxic took effect (connection opened, or toxic added to it); data passes normally until then.
 */
export const resetPeerToxic = defineToxic(
  'reset_peer',
  'reset the connection (RST) after timeout ms',
  { timeout: intAttribute(0, MAX_MS, 0) },
  ({ timeout }, ctx) => {
    const timer = setTimeout(() => ctx.reset(), timeout);
    return {
      pipe: (chunk) => ctx.forward(chunk),
      stop: () => clearTimeout(timer),
    };
  },
);
