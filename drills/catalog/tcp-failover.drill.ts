import { at, defineDrill, kill, restart } from 'faultline';

/**
 * The sample stack as TCP line echo servers behind a tcp listener, under connection-oriented
 * load: half the exchanges on 16 long-lived connections, half on a connection of their own.
 * app1 dies: a new connection the balancer sends to it before the health checks notice is
 * refused and retried on app2 at once, so only an exchange in flight on app1 at that instant
 * can fail. Then app2 dies too: new connections go to the standby, app3. Both come back: the
 * pool fails back.
 */
export default defineDrill({
  name: 'tcp-failover',
  description:
    'SIGKILL TCP primaries under connection load: new connections go elsewhere at once; with every primary gone the standby takes over.',
  stack: { protocol: 'tcp' },
  load: { rate: 200, connections: 16, newConnections: 0.5 },
  // Not served_by(app3)==0: connections opened to the standby during the outage stay on it
  // after failback (a balancer moves new connections, never established ones).
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [
    at('1s', kill('app1'), { as: 'crash' }),
    at('2.5s', kill('app2'), { as: 'outage' }),
    at('4s', restart(['app1', 'app2']), { as: 'restore' }),
  ],
  duration: '6.5s',
  sla: [
    'served_by(app3)==0 before',
    'errors<=4 during crash',
    'detection<1s for crash',
    'p(99)<250ms during crash',
    'errors<=4 during outage',
    'failover<1s for outage',
    'served_by(app3)>80% during outage',
    'events(failback)>=1 after restore',
    'served_by(app1)>0 after restore',
  ],
});
