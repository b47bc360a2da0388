#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so drill files written in TypeScript load the same way.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
// Registered last, so it runs first: 'faultline' resolves to the drill API wherever the drill file is.
register('./resolve-faultline.js', import.meta.url);
await import('../cli/main.ts');
