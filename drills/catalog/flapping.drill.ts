import { at, defineDrill, down, revert } from 'faultline';

/**
 * app2's link goes down for 300ms, five times, 300ms apart (its toxic proxy refuses
 * connections). Refused connections are retried at once, so clients see nothing.
 *
 * The health checks follow every blip: every 150ms (50ms while between states), so a 300ms
 * blip always takes app2 down (after at most 200ms) and a 300ms gap always brings it back up
 * (after at most 200ms), 100ms to spare either way. With the stack's 250ms checks (and 100ms
 * fast ones) they did not: after the first blip the probes mostly fell into the gaps, so no
 * passed rise check ever met a flapping server, and in about one run in five app2 stayed down
 * from the first blip to the last.
 *
 * Traffic must not follow them. The first ejection (blip 1) is lifted by the passed rise checks,
 * as Envoy does; the second (blip 2) marks app2 as flapping: it sits out its growing ejection
 * time (2s) whatever the health checks say, so it gets nothing in the gaps after blips 2, 3 and
 * 4 although it passes its rise checks in each. Without damping it is ejected at least once per
 * blip and served in every gap; without passive detection it is never ejected and traffic
 * follows the health checks (test/integration/catalog-weakened.test.ts runs both). Ejection
 * times are shortened (1s, at most 2s) so app2 is back in rotation before the drill ends.
 *
 * One refused connection ejects (consecutiveGatewayFailures: 1), so passive detection sees each
 * blip before the health checks do: app2 gets a request every ~20ms, and two failed probes take
 * at least 50ms. With the default of 3 the two raced; when the checks won blip 2, app2 had no
 * traffic to fail, its second ejection came only at blip 3, and gap 2 was served (CI, once).
 */
const flap = (n: number) => [
  at(`${1000 + 600 * n}ms`, down('app2'), { as: `flap${n + 1}` }),
  at(`${1300 + 600 * n}ms`, revert(`flap${n + 1}`), { as: `gap${n + 1}` }),
];

export default defineDrill({
  name: 'flapping',
  description: 'A server goes up and down repeatedly: no failed request, no oscillation storm.',
  stack: {
    proxies: true,
    pool: {
      health: {
        type: 'http',
        path: '/health',
        interval: '150ms',
        fastInterval: '50ms',
        timeout: '150ms',
        rise: 2,
        fall: 2,
      },
      outlier: { consecutiveGatewayFailures: 1, baseEjectionTime: '1s', maxEjectionTime: '2s' },
    },
  },
  load: { rate: 200 },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [0, 1, 2, 3, 4].flatMap(flap),
  duration: '6.5s',
  sla: [
    'errors==0 overall',
    // Taken out, and again: the second ejection is what marks it as flapping.
    'events(ejected, app2)>=2 overall',
    // Not once per blip.
    'events(ejected, app2)<=3 overall',
    // Damped: back up by its health checks in each gap, but not back in rotation.
    'served_by(app2)==0 during gap2',
    'served_by(app2)==0 during gap3',
    'served_by(app2)==0 during gap4',
    'served_by(app2)>0 after gap5',
  ],
});
