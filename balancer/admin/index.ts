export {
  type CallerRefusal,
  hostOfHostHeader,
  refuseCaller,
  refuseContentType,
} from '../../core/request-guard.ts';
export {
  AdminServer,
  type AdminServerOptions,
  formatAddress,
  isLoopbackHost,
} from './admin-server.ts';
export {
  AdminClient,
  type AdminClientOptions,
  AdminRequestError,
  type EventStreamOptions,
  type WaitForEventOptions,
} from './client.ts';
export { DEFAULT_HEARTBEAT_MS, EventStreams, formatEvent } from './events-stream.ts';
export { AdminHttpError, MAX_BODY_BYTES, MAX_WEIGHT, MIN_WEIGHT, parseWeight } from './http-json.ts';
export { BalancerMetrics, NO_SERVER_LABEL, type PoolSnapshot, statusClass } from './metrics.ts';
export { type SseMessage, SseParser } from './sse-parser.ts';
