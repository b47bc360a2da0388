import { z } from 'zod';
import { checkDuration, DURATION_RULE } from '../duration.ts';

/** Names of servers, steps, targets, backends: what may appear in a URL path or a label. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

export const nameField = () =>
  z.string().regex(NAME_PATTERN, 'may contain only letters, digits, "_", "." and "-"');

/** A duration a user wrote (see checkDuration), as whole milliseconds. */
export const durationField = (min = 0) =>
  z
    .union([z.string(), z.number()], {
      error: (issue) =>
        issue.input === undefined ? `is required: ${DURATION_RULE}` : checkDurationProblem(issue.input, min),
    })
    .transform((input, ctx) => {
      const checked = checkDuration(input, min);
      if ('problem' in checked) {
        ctx.addIssue({ code: 'custom', message: checked.problem });
        return z.NEVER;
      }
      return checked.ms;
    });

function checkDurationProblem(input: unknown, min: number): string {
  const checked = checkDuration(input, min);
  return 'problem' in checked ? checked.problem : `must be ${DURATION_RULE}`;
}
