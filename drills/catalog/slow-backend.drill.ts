import { at, defineDrill, latency } from 'faultline';

/**
 * 100ms of latency on app2's link (toxic proxy). With the latency algorithm (peak EWMA, power of
 * two choices) the slow server's share must drop and p99 stay well under what it would be if
 * the slow server kept its share. (100ms stays under the 150ms health timeout on purpose: the
 * server is slow, not down.)
 */
export default defineDrill({
  name: 'slow-backend',
  description: 'Latency on one server: the latency algorithm routes around it, p99 stays bounded.',
  stack: { proxies: true, pool: { algorithm: 'latency' } },
  load: { rate: 200 },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [at('1s', latency('app2', { latency: '100ms' }), { as: 'slow', for: '3s' })],
  duration: '5s',
  sla: [
    'errors==0 overall',
    'served_by(app2)<10% during slow',
    'p(95)<50ms during slow',
    'p(99)<250ms during slow',
    'served_by(app2)>0 before',
  ],
});
