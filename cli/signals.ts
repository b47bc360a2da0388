import { whenParentGone } from '../core/exit-with-parent.ts';

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Calls `handler` on every SIGINT and SIGTERM with how many have arrived so far (1 for the first).
 * Returns the disposer, which removes exactly these listeners and no one else's.
 */
export function onSignals(handler: (signal: NodeJS.Signals, count: number) => void): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals) => handler(signal, ++count);
  for (const s of SHUTDOWN_SIGNALS) process.on(s, listener);
  return () => {
    for (const s of SHUTDOWN_SIGNALS) process.off(s, listener);
  };
}

/**
 * Resolves after the first SIGTERM/SIGINT (or, for a child of a faultline stack, once its parent
 * is gone), once `onSignal` finished. A second signal while stopping exits at once, as operators
 * expect from a double Ctrl-C.
 */
export function onShutdownSignal(onSignal: (signal: NodeJS.Signals) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const shutdown = (signal: NodeJS.Signals, count: number) => {
      if (count > 1) {
        process.stderr.write(`received ${signal} again, exiting now\n`);
        process.exit(130);
      }
      onSignal(signal).then(() => {
        dispose();
        resolve();
      }, reject);
    };
    const dispose = onSignals(shutdown);
    let parentGone = false;
    whenParentGone(() => {
      if (parentGone) return;
      parentGone = true;
      shutdown('SIGTERM', 1);
    });
  });
}
