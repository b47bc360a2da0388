import { $ } from 'zx';
import { formatDuration, parseDuration } from '../../core/duration.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 4000;

/**
 * Runs a drill's shell step through zx (bash), bounded by its timeout; resolves with its
 * output, rejects with the exit code and stderr on failure.
 */
export async function runShell(
  command: string,
  timeout: string | number | undefined,
  signal: AbortSignal,
): Promise<string> {
  const timeoutMs =
    timeout === undefined ? DEFAULT_TIMEOUT_MS : (parseDuration(timeout) ?? DEFAULT_TIMEOUT_MS);
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(abort, timeoutMs);
  try {
    const result = await $({ nothrow: true, quiet: true, signal: controller.signal })`bash -c ${command}`;
    const output = `${result.stdout}${result.stderr}`.trim().slice(-MAX_OUTPUT);
    if (controller.signal.aborted && !signal.aborted) {
      throw new Error(`\`${command}\` did not finish within ${formatDuration(timeoutMs)}`);
    }
    if (result.exitCode !== 0) {
      throw new Error(
        `\`${command}\` exited ${result.exitCode ?? result.signal}${output ? `: ${output}` : ''}`,
      );
    }
    return output;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  }
}
