import { z } from 'zod';
import { checkDuration } from '../duration.ts';

/** Names of servers, steps, targets, backends: what may appear in a URL path or a label. */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

export const nameField = () =>
  z.string().regex(NAME_PATTERN, 'may contain only letters, digits, "_", "." and "-"');

/** A duration a user wrote (see checkDuration), as whole milliseconds. */
export const durationField = (min = 0) =>
  z.union([z.string(), z.number()]).transform((input, ctx) => {
    const checked = checkDuration(input, min);
    if ('problem' in checked) {
      ctx.addIssue({ code: 'custom', message: checked.problem });
      return z.NEVER;
    }
    return checked.ms;
  });
