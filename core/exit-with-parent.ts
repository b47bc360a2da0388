/** Set by a parent that starts this process with a stdin pipe it never writes to. */
export const PARENT_PIPE_ENV = 'FAULTLINE_PARENT_PIPE';

/**
 * Calls `onParentGone` when the process that started this one is gone, however it died (SIGKILL
 * included): its end of the stdin pipe closes with it. Only where the parent asked for it, so a
 * process started on its own (by hand, or detached by `faultline revert`) lives on.
 */
export function whenParentGone(onParentGone: () => void): void {
  if (process.env[PARENT_PIPE_ENV] !== '1') return;
  let called = false;
  const gone = () => {
    if (called) return;
    called = true;
    onParentGone();
  };
  process.stdin.on('end', gone);
  process.stdin.on('close', gone);
  process.stdin.on('error', gone);
  process.stdin.resume();
  // Watching never keeps the process alive by itself: a server that closed may still exit.
  (process.stdin as unknown as { unref?: () => void }).unref?.();
}
