import { at, defineDrill, down } from 'faultline';

/**
 * app2's link goes down for 300ms, five times, 300ms apart (its toxic proxy refuses
 * connections). Refused connections are retried at once, so clients see nothing. The health
 * checks follow every blip, but traffic must not: the second ejection marks app2 as flapping,
 * and it sits out its (growing) ejection time instead of being let back in by each passed
 * health check. Without that damping it is ejected once per blip (5 times). Ejection times are
 * shortened (1s, at most 2s) so app2 is back in rotation before the drill ends.
 */
const flap = (n: number) => at(`${1 + 0.6 * n}s`, down('app2'), { as: `flap${n + 1}`, for: '300ms' });

export default defineDrill({
  name: 'flapping',
  description: 'A server goes up and down repeatedly: no failed request, no oscillation storm.',
  stack: { proxies: true, pool: { outlier: { baseEjectionTime: '1s', maxEjectionTime: '2s' } } },
  load: { rate: 200 },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [flap(0), flap(1), flap(2), flap(3), flap(4)],
  duration: '6.5s',
  sla: ['errors==0 overall', 'events(ejected, app2)<=3 overall', 'served_by(app2)>0 after flap5'],
});
