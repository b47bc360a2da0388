export { formatHostPort, parseHostPort } from './address.ts';
export {
  controlHeaders,
  TOXIC_TOKEN_ENV,
  ToxicProxyClient,
  ToxicProxyClientError,
  type ToxicProxyClientOptions,
} from './client.ts';
export {
  type ControlApi,
  type ControlApiOptions,
  isLoopbackHost,
  startControlApi,
  TOXIC_PROXY_VERSION,
} from './control-api.ts';
export { TOXIC_PROXY_ERROR_STATUS, ToxicProxyError, type ToxicProxyErrorCode } from './errors.ts';
export type { ProxyInfo } from './proxy.ts';
export { type CreateProxyInput, ToxicProxyServer } from './proxy-server.ts';
export { parseToxic, toxicTypes } from './registry.ts';
export type {
  StreamDirection,
  ToxicContext,
  ToxicInfo,
  ToxicInput,
  ToxicStage,
  ToxicType,
} from './toxic.ts';
export { defineToxic } from './toxic.ts';
