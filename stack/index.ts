/**
 * The stack a drill runs on: the one door drills/ and cli/ use. `local` runs every process as a
 * child of this one; `compose` runs the same stack in containers. Both build the balancer's
 * config the same way (balancer-config.ts) and read its events the same way (event-feed.ts).
 */
export { balancerSettingsIssues } from './balancer-config.ts';
export { ComposeDrillStack, composeProblems, DEFAULT_COMPOSE_PROJECT } from './compose/compose-stack.ts';
export { LocalStack } from './local/local-stack.ts';
export { openLocalStack } from './local/open-local-stack.ts';
export { LocalServices, type ServiceOutcome, type ServiceStatus } from './local/services.ts';
export type { OperatorAccess, RunningStack, StackKind } from './running-stack.ts';
export { BALANCER_TARGET, SAMPLE_STACK, STACK_POOL, type StackProtocol, stackUrl } from './sample.ts';
export { loadStackConfig } from './stack-file.ts';
export { backendListSchema, type StackSpec } from './stack-spec.ts';
