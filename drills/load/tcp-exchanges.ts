import { now } from '../../core/clock.ts';
import type { RequestRecord } from '../recording.ts';
import { LineConnection } from './line-connection.ts';
import type { LoadPlan } from './open-model.ts';
import { behindSchedule, type InFlight, inFlight, type LoadTransport } from './transport.ts';

const DEFAULT_KEPT = 16;
const DEFAULT_NEW_SHARE = 0.5;

/** A recorded TCP exchange: `TCP new` on a connection of its own, `TCP kept` on a long-lived one. */
const NEW = { method: 'TCP', path: 'new' } as const;
const KEPT = { method: 'TCP', path: 'kept' } as const;

/**
 * The load over a tcp listener: each exchange sends a line and waits for its echo. A share of
 * them (`newConnectionShare`) open a connection of their own (connect, greeting, line, close):
 * they show where new connections go. The rest take turns on `connections` long-lived ones,
 * as a connection pool's clients do: an exchange whose connection was closed while idle opens
 * a fresh one first (what a pool does when it finds a dead connection); one whose connection
 * breaks while it waits for its echo fails. A record's status is 200 for an echoed exchange
 * and 0 for a failed one (with the reason in `error`), so the SLAs read them as requests.
 */
export function tcpExchanges(plan: LoadPlan): LoadTransport {
  const url = new URL(plan.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port);
  const share = plan.newConnectionShare ?? DEFAULT_NEW_SHARE;
  const kept: { connection: LineConnection | undefined; busy: boolean }[] = Array.from(
    { length: plan.connections ?? DEFAULT_KEPT },
    () => ({ connection: undefined, busy: false }),
  );
  let turn = 0;
  const isNew = (index: number) => Math.floor((index + 1) * share) > Math.floor(index * share);
  const idleSlot = () => {
    for (let i = 0; i < kept.length; i++) {
      const slot = kept[(turn + i) % kept.length];
      if (slot && !slot.busy) {
        turn = (turn + i + 1) % kept.length;
        return slot;
      }
    }
    return undefined;
  };

  return {
    send(index, intended, deadline, done): InFlight {
      const sent = now();
      const slot = isNew(index) ? undefined : idleSlot();
      const kind = slot ? KEPT : NEW;
      let ended = false;
      let connection: LineConnection | undefined;
      const end = (servedBy: string | undefined, error?: string) => {
        if (ended) return;
        ended = true;
        if (slot) slot.busy = false;
        const record: RequestRecord = {
          intended,
          sent,
          ...kind,
          latencyMs: now() - intended,
          status: error ? 0 : 200,
        };
        if (error) record.error = error;
        else if (servedBy) record.servedBy = servedBy;
        done(record);
      };
      const timeout = Math.max(1, deadline - now());
      (async () => {
        if (slot) {
          slot.busy = true;
          if (!slot.connection || slot.connection.closed)
            slot.connection = await LineConnection.open(host, port, timeout);
          connection = slot.connection;
        } else connection = await LineConnection.open(host, port, timeout);
        const server = await connection.exchange(`x${index}`, Math.max(1, deadline - now()));
        if (!slot) connection.close();
        end(server);
      })().catch((err: Error) => {
        if (slot) {
          slot.connection?.close();
          slot.connection = undefined;
        } else connection?.close();
        end(undefined, err.message);
      });
      return inFlight(
        intended,
        deadline,
        () => ended,
        () => {
          if (ended) return;
          (slot?.connection ?? connection)?.close();
          if (slot) slot.connection = undefined;
          end(undefined, 'timeout');
        },
      );
    },
    behind: (index, intended, at) => behindSchedule(isNew(index) ? NEW : KEPT, intended, at),
    async close() {
      for (const slot of kept) slot.connection?.close();
    },
  };
}
