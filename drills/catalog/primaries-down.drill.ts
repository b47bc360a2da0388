import { at, defineDrill, kill, restart } from 'faultline';

/**
 * Both primaries die at once. A retry that has tried every primary goes to the passive standby
 * (app3) before the health checks notice, then the pool fails over to it; when the primaries
 * come back and pass their rise checks, traffic fails back.
 */
export default defineDrill({
  name: 'primaries-down',
  description: 'Kill every primary: the standby takes over within a second, then traffic fails back.',
  stack: 'sample',
  load: { rate: 200 },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms', 'served_by(app3)==0'] },
  method: [
    at('1s', kill(['app1', 'app2']), { as: 'outage' }),
    at('2.5s', restart(['app1', 'app2']), { as: 'restore' }),
  ],
  duration: '6s',
  sla: [
    'errors==0 overall',
    'failover<1s for outage',
    'served_by(app3)>50% during outage',
    'events(failback)>=1 during restore',
    'served_by(app1)>0 after restore',
  ],
});
