export { notifyRecorded, type PreviousRunLink, previousRuns, recordAndNotify } from './after-run.ts';
export { type Db, defaultHistoryFile, HistoryFile, openHistoryDb } from './history-db.ts';
export * from './locks.ts';
export * from './runs.ts';
