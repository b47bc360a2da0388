import { at, defineDrill, httpError } from 'faultline';

/**
 * app2 answers half its requests with 500 (its health endpoint stays green, so only passive
 * checks can see it). Outlier detection must take it out, bounding the errors clients see:
 * three 500s in a row eject it (a run that comes within a third of a second at this rate).
 */
export default defineDrill({
  name: 'error-spewer',
  description: 'A server answers 50% 500s: ejected by outlier detection, error rate bounded.',
  stack: { pool: { outlier: { consecutive5xx: 3 } } },
  load: { rate: 200 },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [at('1s', httpError('app2', { rate: 0.5, status: 500 }), { as: 'spew', for: '3s' })],
  duration: '5s',
  sla: ['detection<2s for spew', 'error_rate<5% during spew', 'errors<60 overall'],
});
