export { parseHostPort } from './address.ts';
export {
  TOXIC_TOKEN_ENV,
  ToxicProxyClient,
  ToxicProxyClientError,
  type ToxicProxyClientOptions,
} from './client.ts';
export { isLoopbackHost, TOXIC_PROXY_VERSION } from './control-api.ts';
export { ToxicProxyError } from './errors.ts';
export type { ProxyInfo } from './proxy.ts';
export { ToxicProxyServer } from './proxy-server.ts';
export type { ToxicInfo, ToxicInput } from './toxic.ts';
