export { renderProgress, renderSummary } from './console.ts';
export { writeReports } from './write.ts';
