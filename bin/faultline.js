#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so drill files written in TypeScript load the same way.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
