export {
  ActiveHealthChecker,
  type ActiveHealthCheckerOptions,
  type HealthStatus,
  type HealthTarget,
} from './active-health-checker.ts';
export { probeHttp } from './http-probe.ts';
export type { ProbeResult } from './probe-result.ts';
export { probeTcp } from './tcp-probe.ts';
