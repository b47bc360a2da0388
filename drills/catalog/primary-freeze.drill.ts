import { at, defineDrill, pause } from 'faultline';

/**
 * A primary is frozen (SIGSTOP): the kernel still accepts its connections but nothing answers.
 * Only the active health checks can see it: with interval 250ms, fall 2 and timeout 250ms the
 * bound is fall × interval + timeout = 750ms (the SLA allows scheduling noise on top). Requests
 * caught inside it wait for the 1s response timeout and are retried elsewhere. Thawed, it must
 * pass its rise checks and serve again.
 */
export default defineDrill({
  name: 'primary-freeze',
  description: 'SIGSTOP a primary: detected within its health bound, errors bounded, back after SIGCONT.',
  stack: 'sample',
  load: { rate: 200 },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [at('1s', pause('app2'), { as: 'freeze', for: '2.5s' })],
  duration: '5.5s',
  sla: [
    'detection<1.2s for freeze',
    'error_rate<1% during freeze',
    'p(99)<1500ms during freeze',
    'events(server-up, app2)>=1 after freeze',
    'served_by(app2)>0 after freeze',
  ],
});
