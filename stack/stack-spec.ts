import { z } from 'zod';
import { nameField } from '../core/validation/fields.ts';
import type { BackendSpec, StackProtocol } from './sample.ts';

/** One backend as a drill or a stack file writes it. */
export const backendSchema = z.strictObject({
  name: nameField(),
  weight: z.number().int().min(1).max(1000).optional(),
  backup: z.boolean().optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
});

/** A stack's backends: at least one, names unique, at least one primary. */
export const backendListSchema = z
  .array(backendSchema)
  .min(1, 'needs at least one backend')
  .superRefine((backends, ctx) => {
    const seen = new Set<string>();
    backends.forEach((b, i) => {
      if (seen.has(b.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${b.name}" is used twice` });
      seen.add(b.name);
    });
    if (backends.every((b) => b.backup)) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs at least one primary (a backend without backup: true)',
      });
    }
  });

/** The stack a drill runs on, validated: its backends, proxies, and the balancer settings it asks for. */
export interface StackSpec {
  backends: readonly BackendSpec[];
  proxies: boolean;
  /** `tcp`: the backends are line echo servers behind a tcp listener (default `http`). */
  protocol?: StackProtocol;
  /** Raw pool settings over the stack kind's (health, retries, ...). */
  pool?: Record<string, unknown>;
  /** Raw top-level balancer settings over the stack kind's (timeouts, ...). */
  balancer?: Record<string, unknown>;
}
