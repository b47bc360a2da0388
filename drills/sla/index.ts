export { SlaSyntaxError } from './errors.ts';
export { evaluateOn, evaluateSla, type NamedWindow } from './evaluate.ts';
export { parseSla } from './parse.ts';
export { checkSlaReferences, findStep, type StepRef } from './references.ts';
export type * from './types.ts';
