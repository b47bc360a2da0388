/** An SLA or threshold string that does not parse; the message names the rule it broke. */
export class SlaSyntaxError extends Error {
  readonly code = 'FL_SLA_INVALID';
  constructor(
    readonly text: string,
    rule: string,
  ) {
    super(`"${text}": ${rule}`);
    this.name = 'SlaSyntaxError';
  }
}
