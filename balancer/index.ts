/** The balancer's public API: what chaos/, drills/ and cli/ may import. */

export { formatDuration, parseDuration } from '../core/duration.ts';
export {
  ConfigError,
  type ConfigIssue,
  FaultlineError,
  type FaultlineErrorCode,
  type ProxyErrorCode,
} from '../core/errors.ts';
export { AdminClient } from './admin/client.ts';
export { loadConfigFile, normalizeConfig, parseConfigText, type RawBalancerConfig } from './config/index.ts';
// Helpers other config files (the local stack's) use to report problems the same way.
export { makeLocator } from './config/locate.ts';
export { formatPath, issueMessage } from './config/messages.ts';
export type * from './config/types.ts';
export {
  BALANCER_EVENT_KINDS,
  type BalancerEvent,
  type BalancerEventKind,
  describeEvent,
  EventBus,
} from './events.ts';
export { cachedLookup, forgetHost } from './net/cached-lookup.ts';
export { describeRequestError, type RequestErrorEntry } from './proxy/error-log.ts';
export { ERROR_HEADER, REQUEST_ID_HEADER, SERVED_BY_HEADER } from './proxy/headers.ts';
export { Balancer, type StopOptions } from './server.ts';
