#!/usr/bin/env node
// Runs the CLI as built into dist/ (scripts/bundle.mjs, run by `npm install`) while that build
// is fresh; else the TypeScript through tsx. Either way drill files load through tsx.
import { freshBuild, registerDrillLoaders } from '../core/build-state.js';

const built = freshBuild('faultline');
if (built) {
  await import(built);
} else {
  await registerDrillLoaders();
  await import('../cli/main.ts');
}
