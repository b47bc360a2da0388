/** Process exit codes, stable across releases (documented in README). */
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
