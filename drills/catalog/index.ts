/** The built-in drills, in the order `npm run drill` runs them (files `<name>.drill.ts` beside this one). */
export const CATALOG = [
  'primary-crash',
  'primary-freeze',
  'primaries-down',
  'slow-backend',
  'error-spewer',
  'flapping',
  'rolling-restart',
  'tcp-failover',
] as const;
