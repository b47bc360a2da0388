// The program node:cluster runs for each balancer worker (cluster/primary.ts): the balancer
// alone, without the command line's other commands and their libraries.
import { runTrafficWorker } from './worker.ts';

runTrafficWorker();
