/**
 * Every error faultline raises on purpose carries a stable `code`, one of these.
 * What causes each, what to do about it and the CLI's exit code for it: docs/errors.md, the one
 * list (cli/exit-codes.ts maps every code to its exit code; a test checks both against the doc).
 */
export type FaultlineErrorCode =
  // configuration files (balancer config, stack file)
  | 'FL_CONFIG_INVALID'
  | 'FL_CONFIG_UNREADABLE'
  | 'FL_CONFIG_ENV_MISSING'
  // the balancer and its admin API
  | 'FL_ADMIN_INSECURE'
  | 'FL_LISTEN_FAILED'
  | 'FL_ADMIN_REQUEST'
  | 'FL_UNKNOWN_SERVER'
  | 'FL_RELOAD_REFUSED'
  // the command line
  | 'FL_USAGE'
  // processes faultline starts, and where it can run them
  | 'FL_PROCESS_START_FAILED'
  | 'FL_PLATFORM_UNSUPPORTED'
  // faults and their targets
  | 'FL_FAULT_UNKNOWN'
  | 'FL_FAULT_PARAMS'
  | 'FL_FAULT_UNSUPPORTED'
  | 'FL_FAULT_FAILED'
  | 'FL_TARGET_NOT_FOUND'
  | 'FL_TARGET_NOT_OPTED_IN'
  | 'FL_TARGET_STALE'
  | 'FL_REVERT_FAILED'
  | 'FL_UNSAFE_FILE'
  // stacks (local, compose)
  | 'FL_DOCKER_UNAVAILABLE'
  | 'FL_COMPOSE_FAILED'
  | 'FL_STACK_STOP_INCOMPLETE'
  // drills
  | 'FL_DRILL_INVALID'
  | 'FL_DRILL_NOT_FOUND'
  | 'FL_DRILL_TARGET_FAILED'
  | 'FL_SLA_INVALID'
  // runbooks
  | 'FL_RUNBOOK_INVALID'
  | 'FL_RUNBOOK_NOT_FOUND'
  // history and schedules
  | 'FL_HISTORY_CORRUPT'
  | 'FL_HISTORY_NEWER'
  | 'FL_HISTORY_UNWRITABLE'
  | 'FL_SCHEDULE_INVALID'
  | 'FL_SCHEDULE_JOB_UNKNOWN';

export class FaultlineError extends Error {
  readonly code: FaultlineErrorCode;
  constructor(code: FaultlineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaultlineError';
    this.code = code;
  }
}

/** One problem in a config file: where (dotted field path, optional line) and which rule it broke. */
export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
}

export class ConfigError extends FaultlineError {
  readonly file: string | undefined;
  readonly issues: readonly ConfigIssue[];
  constructor(
    file: string | undefined,
    issues: readonly ConfigIssue[],
    code:
      | 'FL_CONFIG_INVALID'
      | 'FL_CONFIG_ENV_MISSING'
      | 'FL_DRILL_INVALID'
      | 'FL_RUNBOOK_INVALID'
      | 'FL_SCHEDULE_INVALID' = 'FL_CONFIG_INVALID',
    subject = 'balancer config',
  ) {
    const where = file ?? 'config';
    const lines = issues.map(
      (i) => `  ${where}${i.line ? `:${i.line}` : ''}: ${i.path || '(root)'}: ${i.message}`,
    );
    super(code, `invalid ${subject}\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

/**
 * Why the balancer answered a request itself instead of relaying a backend's answer.
 * The code goes into the JSON body and the `x-faultline-error` header; what went wrong in detail
 * (backend addresses, errno text) goes only to the request error log.
 */
export type ProxyErrorCode =
  | 'no_route'
  | 'no_healthy_server'
  | 'queue_full'
  | 'queue_timeout'
  | 'upstream_connect_failed'
  | 'upstream_connect_timeout'
  | 'upstream_reset'
  | 'upstream_header_timeout'
  | 'upstream_idle_timeout'
  | 'retry_budget_exhausted'
  | 'shutting_down'
  | 'bad_request'
  | 'bad_path'
  | 'request_timeout'
  | 'body_too_large'
  | 'headers_too_large';

export const proxyErrorStatus: Record<ProxyErrorCode, number> = {
  no_route: 404,
  no_healthy_server: 503,
  queue_full: 503,
  queue_timeout: 503,
  upstream_connect_failed: 502,
  upstream_connect_timeout: 504,
  upstream_reset: 502,
  upstream_header_timeout: 504,
  upstream_idle_timeout: 504,
  retry_budget_exhausted: 502,
  shutting_down: 503,
  bad_request: 400,
  bad_path: 400,
  request_timeout: 408,
  body_too_large: 413,
  headers_too_large: 431,
};
