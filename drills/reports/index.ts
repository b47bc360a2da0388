export { type ProgressLine, renderProgress, renderSummary } from './console.ts';
export { renderHtml } from './html.ts';
export { renderJunit } from './junit.ts';
export { writeReports } from './write.ts';
