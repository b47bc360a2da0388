// Module resolution hook: a drill file anywhere on disk can `import ... from 'faultline'`.
const DRILL_API = new URL('../drills/index.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'faultline') return next(DRILL_API, context);
  return next(specifier, context);
}
