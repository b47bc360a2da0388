export { evaluateOn, evaluateSla } from './evaluate.ts';
export { parseSla } from './parse.ts';
export { checkSlaReferences } from './references.ts';
export type * from './types.ts';
