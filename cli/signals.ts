import { whenParentGone } from '../core/exit-with-parent.ts';

/**
 * Resolves after the first SIGTERM/SIGINT (or, for a child of a faultline stack, once its parent
 * is gone), once `onSignal` finished. A second signal while
 * stopping exits at once, as operators expect from a double Ctrl-C.
 */
export function onShutdownSignal(onSignal: (signal: NodeJS.Signals) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`received ${signal} again, exiting now\n`);
        process.exit(130);
      }
      stopping = true;
      onSignal(signal).then(() => {
        process.off('SIGTERM', handler);
        process.off('SIGINT', handler);
        resolve();
      }, reject);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
    whenParentGone(() => handler('SIGTERM'));
  });
}
