/** The shape of a drill file's default export, as zod checks it; validate.ts adds the cross-field rules. */
import { z } from 'zod';
import { BALANCER_EVENT_KINDS } from '../balancer/index.ts';
import { checkDuration } from '../core/duration.ts';
import { durationField, nameField } from '../core/validation/fields.ts';
import { backendListSchema } from '../stack/index.ts';

const name = nameField();
const targets = z.array(name).min(1, 'needs at least one target');

const action = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('fault'),
    fault: z.string(),
    targets,
    params: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({ kind: z.literal('revert'), step: name }),
  z.strictObject({
    kind: z.literal('admin'),
    op: z.enum(['drain', 'enable', 'disable']),
    server: name,
    pool: name.optional(),
  }),
  z.strictObject({
    kind: z.literal('shell'),
    command: z.string().min(1),
    timeout: durationField().optional(),
  }),
]);

const condition = z.strictObject({
  kind: z.literal('event'),
  event: z.enum(BALANCER_EVENT_KINDS, {
    error: (iss) =>
      `unknown balancer event ${JSON.stringify(iss.input)} (events: ${BALANCER_EVENT_KINDS.join(', ')})`,
  }),
  server: name.optional(),
});

const step = z.strictObject({
  trigger: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('at'), offset: durationField() }),
    z.strictObject({ kind: z.literal('after'), condition, timeout: durationField().optional() }),
  ]),
  action,
  as: name.optional(),
  for: durationField().optional(),
});

const stack = z.union([
  z.literal('sample'),
  z.strictObject({
    backends: backendListSchema.optional(),
    proxies: z.boolean().optional(),
    protocol: z.enum(['http', 'tcp']).optional(),
    pool: z.record(z.string(), z.unknown()).optional(),
    balancer: z.record(z.string(), z.unknown()).optional(),
  }),
]);

const request = z.strictObject({
  method: z
    .string()
    .regex(/^[A-Z]+$/, 'must be an HTTP method in capitals such as GET')
    .optional(),
  path: z.string().startsWith('/', 'must start with "/"').optional(),
  body: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const thresholds = z.array(z.string());

export const drillSchema = z.strictObject({
  name,
  description: z.string().min(1, 'must say what the drill proves'),
  stack,
  load: z.strictObject({
    rate: z.number().positive().max(5000, 'must be at most 5000 requests/s'),
    requests: z.array(request).min(1).optional(),
    timeout: durationField().optional(),
    connections: z.number().int().min(1).max(1024).optional(),
    newConnections: z
      .number()
      .min(0, 'must be a share of the exchanges from 0 to 1')
      .max(1, 'must be a share of the exchanges from 0 to 1')
      .optional(),
    warmup: z
      .union([
        z.string(),
        z.number(),
        z.strictObject({
          duration: z.union([z.string(), z.number()]),
          from: z
            .number()
            .gt(0, 'must be a share of the rate above 0, such as 0.1')
            .max(1, 'must be a share of the rate, at most 1')
            .optional(),
        }),
      ])
      .transform((input, ctx) => {
        const checked = checkDuration(typeof input === 'object' ? input.duration : input);
        if ('problem' in checked) {
          ctx.addIssue({
            code: 'custom',
            path: typeof input === 'object' ? ['duration'] : [],
            message: checked.problem,
          });
          return z.NEVER;
        }
        return { durationMs: checked.ms, from: typeof input === 'object' ? input.from : undefined };
      })
      .optional(),
  }),
  steadyState: z
    .union([thresholds, z.strictObject({ duration: durationField().optional(), thresholds })])
    .optional(),
  method: z.array(step).min(1, 'needs at least one step'),
  duration: durationField().optional(),
  sla: z.array(z.string()).min(1, 'needs at least one SLA'),
  abortWhen: z.array(z.string()).optional(),
});

export type ParsedDrill = z.output<typeof drillSchema>;
export type ParsedStep = ParsedDrill['method'][number];
