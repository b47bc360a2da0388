/** The balancer config: load (YAML/JSON, `${VAR}`), validate with field paths and lines, normalise. */

export { DEFAULTS } from './defaults.ts';
export { formatListenAddress, isLoopback, parseListenAddress } from './listen-address.ts';
export { loadConfigFile, loadConfigSource, parseConfigText } from './load.ts';
export { normalizeConfig } from './normalize.ts';
export type * from './raw-types.ts';
export type * from './types.ts';
export { checkWorkers } from './workers.ts';
