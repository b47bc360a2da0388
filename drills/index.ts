/**
 * What drill files import as 'faultline': the drill language. See drills/define.ts and
 * docs/drills.md.
 */
export * from './define.ts';
