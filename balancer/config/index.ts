export { DEFAULTS } from './defaults.ts';
export { formatListenAddress, isLoopback, parseListenAddress } from './listen-address.ts';
export { formatPath, loadConfigFile, normalizeConfig, parseConfigText } from './load.ts';
export type { RawBalancerConfig } from './schema.ts';
export type * from './types.ts';
