import { at, defineDrill, kill, restart } from 'faultline';

/**
 * The weight-3 primary is SIGKILLed under load. Requests it was serving fail at the connection
 * level and are retried on another server, so clients must not notice; the health checks take
 * it out of rotation, and once restarted it passes its rise checks and serves again.
 * GETs only: a POST the backend had already received when it died cannot be replayed safely.
 * It comes back cold, so it ramps up over a 2 s slow start (the report's timeline shows its
 * share rising) instead of taking its three quarters of the load at once.
 */
export default defineDrill({
  name: 'primary-crash',
  description: 'SIGKILL the weight-3 primary under load: zero failed requests, detected within a second.',
  stack: { pool: { slowStart: '2s' } },
  load: { rate: 200, requests: [{ path: '/' }, { path: '/catalog?page=2' }] },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [at('1s', kill('app1'), { as: 'crash' }), at('3s', restart('app1'), { as: 'restore' })],
  duration: '5s',
  sla: [
    'errors==0 overall',
    'detection<1s for crash',
    'p(99)<500ms during crash',
    'served_by(app1)>0 after restore',
    'events(slow-start, app1)>=1 after restore',
  ],
});
