import { CommanderError } from 'commander';
import { FaultlineError, type FaultlineErrorCode } from '../core/errors.ts';

/** Process exit codes, stable across releases (documented in docs/errors.md). */
export const EXIT = {
  ok: 0,
  /** An error: bad config or drill, a target that failed, a port in use. */
  error: 1,
  /** Bad command line. */
  usage: 2,
  /** A drill ran and at least one SLA was breached. */
  slaBreach: 3,
  /** Every SLA that could be measured held, but at least one could not (its fault touched no traffic). */
  inconclusive: 4,
  /** A bug in faultline. */
  internal: 70,
  /** Stopped by SIGINT. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * The exit code of the CLI for each error code. Keyed by the whole union, so a new code does
 * not compile until it has its exit code here; cli/exit-codes.test.ts fails until docs/errors.md
 * lists it with that exit code.
 */
export const EXIT_FOR_CODE: Readonly<Record<FaultlineErrorCode, ExitCode>> = {
  FL_CONFIG_INVALID: EXIT.error,
  FL_CONFIG_UNREADABLE: EXIT.error,
  FL_CONFIG_ENV_MISSING: EXIT.error,
  FL_ADMIN_INSECURE: EXIT.error,
  FL_LISTEN_FAILED: EXIT.error,
  FL_ADMIN_REQUEST: EXIT.error,
  FL_UNKNOWN_SERVER: EXIT.error,
  FL_RELOAD_REFUSED: EXIT.error,
  FL_USAGE: EXIT.usage,
  FL_PROCESS_START_FAILED: EXIT.error,
  FL_PLATFORM_UNSUPPORTED: EXIT.error,
  FL_FAULT_UNKNOWN: EXIT.error,
  FL_FAULT_PARAMS: EXIT.error,
  FL_FAULT_UNSUPPORTED: EXIT.error,
  FL_FAULT_FAILED: EXIT.error,
  FL_TARGET_NOT_FOUND: EXIT.error,
  FL_TARGET_NOT_OPTED_IN: EXIT.error,
  FL_TARGET_STALE: EXIT.error,
  FL_REVERT_FAILED: EXIT.error,
  FL_UNSAFE_FILE: EXIT.error,
  FL_DOCKER_UNAVAILABLE: EXIT.error,
  FL_COMPOSE_FAILED: EXIT.error,
  FL_STACK_STOP_INCOMPLETE: EXIT.error,
  FL_DRILL_INVALID: EXIT.error,
  FL_DRILL_NOT_FOUND: EXIT.error,
  FL_DRILL_TARGET_FAILED: EXIT.error,
  FL_SLA_INVALID: EXIT.error,
  FL_RUNBOOK_INVALID: EXIT.error,
  FL_RUNBOOK_NOT_FOUND: EXIT.error,
  FL_HISTORY_CORRUPT: EXIT.error,
  FL_HISTORY_NEWER: EXIT.error,
  FL_HISTORY_UNWRITABLE: EXIT.error,
  FL_SCHEDULE_INVALID: EXIT.error,
  FL_SCHEDULE_JOB_UNKNOWN: EXIT.error,
};

/** The faultline code `err` carries (every error faultline raises on purpose is a FaultlineError). */
export function faultlineCodeOf(err: unknown): FaultlineErrorCode | undefined {
  return err instanceof FaultlineError ? err.code : undefined;
}

/**
 * The exit code for the error that ended a command, after telling the user about it on stderr:
 * an error with a faultline code is its message ending in `[code]`, never a stack trace; a
 * command-line error was printed by commander already; anything else is a bug in faultline,
 * printed with its stack trace, exit 70.
 */
export function exitCodeFor(
  err: unknown,
  write: (text: string) => void = (text) => process.stderr.write(text),
): ExitCode {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const code = faultlineCodeOf(err);
  if (code !== undefined) {
    write(`faultline: ${(err as Error).message} [${code}]\n`);
    return EXIT_FOR_CODE[code];
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  write(`faultline: unexpected internal error (please report it):\n${message}\n`);
  return EXIT.internal;
}
