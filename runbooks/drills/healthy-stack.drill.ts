import { at, defineDrill, shell } from 'faultline';

/**
 * No fault: the stack under load, for runbooks that change a healthy stack on purpose (a
 * rolling deploy). GETs and POSTs, as production traffic has both.
 */
export default defineDrill({
  name: 'healthy-stack',
  description: 'The sample stack under load with nothing broken: the runbook is the change.',
  stack: 'sample',
  load: {
    rate: 200,
    requests: [{ path: '/' }, { method: 'POST', path: '/orders', body: '{"item":"runbook"}' }],
  },
  steadyState: { duration: '1s', thresholds: ['error_rate==0', 'p(99)<250ms'] },
  method: [at('0s', shell('true'), { as: 'begin' })],
  duration: '1s',
  sla: ['errors==0 overall'],
});
