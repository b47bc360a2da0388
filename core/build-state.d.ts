/** The package's root folder. */
export const PACKAGE_ROOT: string;
/** dist/<name>.mjs when built after every source file last changed; undefined otherwise. */
export function freshBuild(
  name: 'faultline' | 'balancer' | 'backend' | 'drill-api' | 'balancer-worker',
  root?: string,
): string | undefined;
/** Registers tsx and the 'faultline' resolver once per process, for importing drill files. */
export function registerDrillLoaders(): Promise<void>;
