export { ActiveHealthChecker } from './active-health-checker.ts';
