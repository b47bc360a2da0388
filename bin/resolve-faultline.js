// Module resolution hook: a drill file anywhere on disk can `import ... from 'faultline'`, and
// is an ES module even where no package.json says "type": "module".
import { pathToFileURL } from 'node:url';
import { freshBuild } from '../core/build-state.js';

const built = freshBuild('drill-api');
const DRILL_API = built ? pathToFileURL(built).href : new URL('../drills/index.ts', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'faultline') return next(DRILL_API, context);
  const resolved = await next(specifier, context);
  if (resolved.url.startsWith('file:') && /\.drill\.ts(\?|$)/.test(resolved.url)) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
