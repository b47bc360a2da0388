import { FaultlineError } from '../../core/errors.ts';
import { parseConfigText } from '../config/index.ts';
import { applyControlState } from '../pool/control-state.ts';
import { reloadFailureReason } from '../reload.ts';
import { Balancer } from '../server.ts';
import { isMessage, type ToPrimary, type ToWorker, WORKER_EVENT_KINDS } from './messages.ts';

function send(message: ToPrimary, sent?: () => void): void {
  process.send?.(message, undefined, {}, sent);
}

/**
 * A cluster worker: waits for the primary's `start` (config text and the servers' current
 * state), serves traffic on the shared listener, takes on every state change the primary
 * sends, and reports what its passive checks see. Signals are the primary's business: a worker
 * stops when told to, or when the primary is gone.
 */
export function runTrafficWorker(): void {
  if (!process.send) throw new Error('a balancer worker runs under node:cluster');
  // Ctrl-C (and a hangup) reaches the whole process group; the primary decides how its workers
  // stop and when they reload.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
  let balancer: Balancer | undefined;
  let stopping = false;
  const stop = async (deadlineMs?: number) => {
    if (stopping) return;
    stopping = true;
    await balancer?.stop(deadlineMs === undefined ? {} : { deadlineMs });
    process.disconnect?.();
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('message', (message: unknown) => {
    if (!isMessage<ToWorker>(message)) return;
    switch (message.t) {
      case 'start':
        start(message).then(
          (started) => {
            balancer = started;
            send({ t: 'ready', listeners: started.listenerAddresses() });
          },
          (err: unknown) => {
            const code = err instanceof FaultlineError ? err.code : undefined;
            // Exits once the message is out: exiting at once could drop it, and the primary would
            // know only that the worker died.
            send({ t: 'failed', code, message: err instanceof Error ? err.message : String(err) }, () =>
              process.exit(1),
            );
          },
        );
        return;
      case 'state':
        if (balancer) applyControlState(balancer.pools, message.state);
        return;
      case 'reload':
        try {
          balancer?.reload(
            parseConfigText(message.configText, { file: message.configFile }),
            message.configFile,
          );
        } catch (err) {
          send({ t: 'reload-failed', message: reloadFailureReason(err) });
        }
        return;
      case 'metrics':
        balancer?.metrics.json().then((metrics) => send({ t: 'metrics', id: message.id, metrics }));
        return;
      case 'stop':
        void stop(message.deadlineMs);
        return;
    }
  });
  send({ t: 'hello' });
}

async function start(message: Extract<ToWorker, { t: 'start' }>): Promise<Balancer> {
  const config = parseConfigText(message.configText, { file: message.configFile });
  const balancer = await Balancer.start(config, { role: 'traffic' });
  applyControlState(balancer.pools, message.state);
  balancer.events.subscribe(({ seq: _seq, at: _at, ...body }) => {
    if (WORKER_EVENT_KINDS.has(body.kind)) send({ t: 'event', body });
  });
  balancer.requestErrors.subscribe((entry) => send({ t: 'request-error', entry }));
  return balancer;
}
