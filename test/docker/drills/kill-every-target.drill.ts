import { at, defineDrill, kill } from 'faultline';

/**
 * Blast radius: kills every opted-in container of the project at once (the balancer too). The
 * test around it checks that the unlabelled toxic proxy service and a container of another
 * project, opted in or not, were never touched.
 */
export default defineDrill({
  name: 'kill-every-target',
  description: 'Kill every opted-in container; nothing else may be touched.',
  stack: 'sample',
  load: { rate: 20 },
  steadyState: { duration: '1s', thresholds: ['error_rate==0'] },
  method: [at('0.5s', kill(['app1', 'app2', 'app3', 'balancer']), { as: 'massacre' })],
  duration: '2s',
  sla: ['events(server-down)>=0 overall'],
});
