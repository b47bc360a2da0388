import { at, defineDrill, latency } from 'faultline';

/**
 * 100ms of latency on app2's link (toxic proxy). With the latency algorithm (peak EWMA, power of
 * two choices) the slow server's share must drop and p95 stay well under the 100ms it would be
 * if the slow server kept its share (a quarter of the requests, with weighted round robin).
 * The server is slow, not down: 100ms stays under the stack's 250ms health timeout on purpose,
 * and the algorithm, not the health checks, must route around it (a balancer that called it dead
 * would meet the share and latency bounds too).
 * The slow spell lasts 5 s (1,000 requests): routing around the server costs about ten slow
 * requests, and a machine-wide stall of ~150 ms (seen on the compose stack on an idle 2-core
 * machine: the runner's own timers 40 ms late and every server slow at once) another twenty or
 * thirty; over 3 s (600 requests) the two together crossed the 5 % that p95 allows.
 */
export default defineDrill({
  name: 'slow-backend',
  description: 'Latency on one server: the latency algorithm routes around it, not down; p95 stays low.',
  stack: { proxies: true, pool: { algorithm: 'latency' } },
  load: { rate: 200 },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [at('1s', latency('app2', { latency: '100ms' }), { as: 'slow', for: '5s' })],
  duration: '7s',
  sla: [
    'errors==0 overall',
    'served_by(app2)<10% during slow',
    'p(95)<50ms during slow',
    'p(99)<250ms during slow',
    'events(server-down, app2)==0 overall',
    'served_by(app2)>0 before',
  ],
});
