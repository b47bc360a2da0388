import { FaultlineError } from '../../core/errors.ts';

/** An SLA or threshold string that does not parse; the message names the rule it broke. */
export class SlaSyntaxError extends FaultlineError {
  constructor(
    readonly text: string,
    rule: string,
  ) {
    super('FL_SLA_INVALID', `"${text}": ${rule}`);
    this.name = 'SlaSyntaxError';
  }
}
