import type { Command } from 'commander';
import {
  Balancer,
  BalancerCluster,
  type BalancerConfig,
  type BalancerEvent,
  checkWorkers,
  describeEvent,
  describeRequestError,
  formatListenAddress,
  loadConfigSource,
  type RequestErrorEntry,
} from '../../balancer/index.ts';
import { onShutdownSignal } from '../signals.ts';

export function registerBalancerCommand(program: Command): void {
  program
    .command('balancer')
    .description('run the load balancer from a config file (YAML or JSON)')
    .requiredOption('-c, --config <file>', 'balancer config file')
    .option('--log-format <format>', 'event log format: text or json', 'text')
    .option('--workers <n>', 'worker processes (overrides the config\'s workers): 1 to 64 or "auto"')
    .option('--check', 'validate the config and exit (0 when sound), as nginx -t: nothing starts')
    .action(async (options: { config: string; logFormat: string; workers?: string; check?: boolean }) => {
      if (options.logFormat !== 'text' && options.logFormat !== 'json') {
        program.error(`--log-format must be "text" or "json" (got "${options.logFormat}")`, { exitCode: 2 });
      }
      const workers = options.workers === undefined ? undefined : workersOption(options.workers);
      if (workers !== undefined && 'problem' in workers) {
        program.error(`--workers ${workers.problem}`, { exitCode: 2 });
      }
      const source = await loadConfigSource(options.config);
      if (options.check) {
        process.stdout.write(`${describeCheckedConfig(options.config, source.config)}\n`);
        return;
      }
      const adjust = workers ? (c: BalancerConfig) => ({ ...c, workers: workers.workers }) : undefined;
      const config = adjust ? adjust(source.config) : source.config;
      const file = { file: options.config, ...(adjust ? { adjust } : {}) };
      const balancer =
        config.workers > 1
          ? await BalancerCluster.start(config, { ...file, text: source.text })
          : await Balancer.start(config, { source: file });
      const print = (event: BalancerEvent) => {
        const from =
          event.worker === undefined || event.kind === 'worker-exited' ? '' : ` [worker ${event.worker}]`;
        const line =
          options.logFormat === 'json'
            ? JSON.stringify(event)
            : `${new Date(event.at).toISOString()} ${event.kind.padEnd(18)} ${describeEvent(event)}${from}`;
        process.stdout.write(`${line}\n`);
      };
      // Events published while starting (balancer-started, first health results) come before
      // the listening line: whoever acts on that line (a stack that may kill this process at
      // once) has read them already. Nothing is published between these synchronous calls.
      // Listening for SIGTERM before the ready line: whoever reads it may stop this process at once.
      // SIGHUP reloads the config file (as nginx and HAProxy do); the outcome is an event line.
      process.on('SIGHUP', () => void balancer.reloadFile().catch(() => {}));
      const stopped = onShutdownSignal(async (signal) => {
        process.stdout.write(`received ${signal}, draining (deadline ${config.shutdownTimeout}ms)\n`);
        await balancer.stop();
      });
      for (const event of balancer.events.since(0)) print(event);
      // `listen`: the first http listener (where load goes), else the first listener.
      const listeners = balancer.listenerUrls();
      const listen = (listeners.find((l) => l.mode === 'http') ?? listeners[0])?.url;
      const others = listeners.filter((l) => l.url !== listen).map((l) => `${l.name} ${l.url}`);
      process.stdout.write(
        options.logFormat === 'json'
          ? `${JSON.stringify({ kind: 'listening', listen, listeners, admin: balancer.adminUrl, pid: process.pid, workers: config.workers })}\n`
          : `faultline balancer listening on ${[listen, ...others].join(', ')} (admin ${balancer.adminUrl}${config.workers > 1 ? `, ${config.workers} workers` : ''})\n`,
      );
      balancer.events.subscribe(print);
      // Answers the balancer made itself, with the detail clients are not shown: on stderr, so
      // the event lines on stdout stay events only.
      balancer.requestErrors.subscribe((entry: RequestErrorEntry) => {
        const line =
          options.logFormat === 'json'
            ? JSON.stringify({ kind: 'request-error', ...entry })
            : `${new Date(entry.at).toISOString()} request-error      ${describeRequestError(entry)}`;
        process.stderr.write(`${line}\n`);
      });
      await stopped;
    });
}

/** `--workers N|auto`, by the config's own rule (a number given as digits is a number). */
function workersOption(value: string): ReturnType<typeof checkWorkers> {
  return checkWorkers(/^\d+$/.test(value) ? Number(value) : value);
}

/** The `--check` line: what the config sets up, so a reader sees it was understood. */
function describeCheckedConfig(file: string, config: BalancerConfig): string {
  const pools = Object.values(config.pools);
  const servers = pools.reduce((n, p) => n + p.servers.length, 0);
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return [
    `faultline: ${file}: config OK`,
    `${count(config.listeners.length, 'listener')} (${config.listeners.map((l) => `${l.name}: ${l.mode === 'http' && l.tls ? 'https' : l.mode} on ${formatListenAddress(l.listen)}${l.mode === 'tcp' ? ` to pool ${l.pool}` : ''}`).join(', ')}), admin on ${formatListenAddress(config.admin.listen)}`,
    `${count(pools.length, 'pool')} (${pools.map((p) => p.name).join(', ')}), ${count(servers, 'server')}, ${count(config.routes.length, 'route')}`,
    `${count(config.workers, 'worker')}`,
  ].join('; ');
}
