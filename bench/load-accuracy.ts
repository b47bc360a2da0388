/**
 * How closely the drill load generator holds its rate, against a peer measured in the same run:
 * a naive generator that chains one timer per request (what a hand-written load loop does).
 * Both send through an undici keep-alive pool to one sample backend child process.
 */
import { Pool } from 'undici';
import { killAllBackends, spawnBackend } from '../backends/spawn.ts';
import { now } from '../core/clock.ts';
import { latencySummary } from '../drills/load/latency-stats.ts';
import { startLoad } from '../drills/load/open-model.ts';

export interface AccuracyRow {
  generator: string;
  target: number;
  achieved: number;
  /** achieved / target */
  ratio: number;
  medianLagMs: number;
  p99LagMs: number;
}

/** The row name of faultline's own generator (the summary reads its 2,000 rps row). */
export const OPEN_MODEL = 'faultline open model';

const DURATION_MS = 5000;

async function naive(url: string, rate: number): Promise<{ sent: number[]; intended: number[] }> {
  const pool = new Pool(url, { connections: 64 });
  const sent: number[] = [];
  const intended: number[] = [];
  const start = now();
  const total = Math.floor((rate * DURATION_MS) / 1000);
  const pending: Promise<unknown>[] = [];
  await new Promise<void>((resolve) => {
    const step = () => {
      if (sent.length >= total || now() - start > DURATION_MS * 2) return resolve();
      intended.push(start + (sent.length * 1000) / rate);
      sent.push(now());
      pending.push(pool.request({ method: 'GET', path: '/' }).then((r) => r.body.dump()));
      setTimeout(step, 1000 / rate);
    };
    step();
  });
  await Promise.allSettled(pending);
  await pool.close();
  return { sent, intended };
}

function row(
  generator: string,
  target: number,
  sent: number[],
  intended: number[],
  start: number,
): AccuracyRow {
  const last = Math.max(...sent);
  const achieved = (sent.length - 1) / ((last - start) / 1000);
  const lags = sent.map((s, i) => s - (intended[i] as number));
  const lag = latencySummary(lags);
  return {
    generator,
    target,
    achieved: Math.round(achieved),
    ratio: Math.round((achieved / target) * 1000) / 1000,
    medianLagMs: Math.round(lag.p50 * 100) / 100,
    p99LagMs: Math.round(lag.p99 * 100) / 100,
  };
}

export async function benchLoadAccuracy(rates = [500, 1000, 2000]): Promise<AccuracyRow[]> {
  const app = await spawnBackend('bench');
  const rows: AccuracyRow[] = [];
  try {
    for (const rate of rates) {
      const load = startLoad({ url: app.url, rate, maxDurationMs: DURATION_MS });
      const records = await load.done;
      rows.push(
        row(
          OPEN_MODEL,
          rate,
          records.map((r) => r.sent),
          records.map((r) => r.intended),
          load.startedAt,
        ),
      );
      const peer = await naive(app.url, rate);
      rows.push(row('peer: naive timer loop', rate, peer.sent, peer.intended, peer.intended[0] as number));
    }
  } finally {
    await killAllBackends();
  }
  return rows;
}
