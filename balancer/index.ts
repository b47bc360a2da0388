/**
 * The balancer's public API: the one door through which stack/, chaos/, drills/ and cli/ reach it.
 * What every part shares (errors, durations, the clock) lives in core/.
 */

export { AdminClient } from './admin/client.ts';
export { BalancerCluster } from './cluster/primary.ts';
export {
  checkWorkers,
  formatListenAddress,
  loadConfigFile,
  loadConfigSource,
  normalizeConfig,
  parseConfigText,
  type RawBalancerConfig,
} from './config/index.ts';
export type * from './config/types.ts';
export {
  BALANCER_EVENT_KINDS,
  type BalancerEvent,
  type BalancerEventKind,
  describeEvent,
  EventBus,
} from './events.ts';
export { describeRequestError, type RequestErrorEntry } from './proxy/error-log.ts';
export { ERROR_HEADER, REQUEST_ID_HEADER, SERVED_BY_HEADER } from './proxy/headers.ts';
export { Balancer, type StopOptions } from './server.ts';
