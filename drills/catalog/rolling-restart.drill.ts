import { after, at, defineDrill, drain, enable, event, restart } from 'faultline';

/**
 * Each primary in turn is drained through the admin API, restarted once it has no request in
 * flight (SIGTERM, graceful), and put back. Done this way no request fails, POSTs included.
 * Each comes back cold and ramps up over a 1 s slow start.
 */
export default defineDrill({
  name: 'rolling-restart',
  description: 'Drain, restart and re-enable each primary in turn: zero failed requests.',
  stack: { pool: { slowStart: '1s' } },
  load: {
    rate: 200,
    requests: [{ path: '/' }, { method: 'POST', path: '/orders', body: '{"item":"drill"}' }],
  },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [
    at('0.5s', drain('app1')),
    after(event('server-drained', 'app1'), restart('app1')),
    at('2.5s', enable('app1')),
    at('3s', drain('app2')),
    after(event('server-drained', 'app2'), restart('app2')),
    at('5s', enable('app2')),
  ],
  duration: '6.5s',
  sla: [
    'errors==0 overall',
    'served_by(app1)>0 after enable-app1',
    'served_by(app2)>0 after enable-app2',
    'events(slow-start, app1)>=1 during enable-app1',
  ],
});
