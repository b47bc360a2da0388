import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { killAllBackends, spawnBackend } from '../backends/spawn.ts';
import { freePort } from '../core/net/ports.ts';
import type { Front } from './fronts/front.ts';
import { throughputPool } from './throughput.ts';
import { runWrk } from './wrk.ts';

export interface MemoryRow {
  front: string;
  /** Resident memory of the front's whole process tree, after a short warm-up, MB. */
  idleRssMb: number;
  /** ...with `connections` idle keep-alive client connections open (each has had one answer). */
  connectionsRssMb: number;
  connections: number;
  /** How many of them were still open when the figure was read. */
  held: number;
  perConnectionKb: number;
  /** Before and after `steadySeconds` of wrk -c50 (faultline only), MB. */
  steadyBeforeMb?: number;
  steadyAfterMb?: number;
  steadySeconds?: number;
  steadyRequests?: number;
}

export interface MemoryPlan {
  fronts: Front[];
  connections: number;
  /** The steady run measured on faultline; 0 skips it. */
  steadySeconds: number;
  log: (line: string) => void;
}

function ownRssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (list) out.push(...list.split(/\s+/).map(Number));
    }
  } catch {
    // it ended
  }
  return out;
}

/** VmRSS of a process and its descendants (nginx's master and worker both count), in MB. */
export function treeRssMb(pid: number): number {
  let kb = 0;
  const queue = [pid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const p = queue.pop() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    kb += ownRssKb(p);
    queue.push(...childrenOf(p));
  }
  return Math.round(kb / 102.4) / 10;
}

/** One keep-alive GET on a new connection; resolves with the socket once the whole answer came. */
function openIdleConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 10 s'));
    }, 10_000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /content-length:\s*(\d+)/i.exec(buffered.subarray(0, end).toString('latin1'));
      if (length && buffered.length < end + 4 + Number(length[1])) return;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.write('GET / HTTP/1.1\r\nHost: bench\r\nConnection: keep-alive\r\n\r\n');
  });
}

export async function openIdleConnections(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, () => openIdleConnection(port)),
    );
    sockets.push(...opened);
  }
  return sockets;
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Memory per front: resident set at rest after a warm-up, then with `connections` idle
 * keep-alive client connections (read within a second of the last one opening, before any
 * front's keep-alive timeout), and for faultline before and after a steady run.
 */
export async function benchMemory(plan: MemoryPlan): Promise<MemoryRow[]> {
  const backends = await Promise.all(['app1', 'app2', 'app3'].map((name) => spawnBackend(name)));
  const pool = throughputPool(backends);
  const rows: MemoryRow[] = [];
  try {
    for (const front of plan.fronts) {
      const running = await front.start(pool, await freePort());
      try {
        const port = Number(new URL(running.url).port);
        await runWrk(running.url, { connections: 50, seconds: 2 });
        await settle(1000);
        const idleRssMb = treeRssMb(running.pid);
        const sockets = await openIdleConnections(port, plan.connections);
        await settle(500);
        const connectionsRssMb = treeRssMb(running.pid);
        const held = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
        for (const s of sockets) s.destroy();
        const row: MemoryRow = {
          front: front.name,
          idleRssMb,
          connectionsRssMb,
          connections: plan.connections,
          held,
          perConnectionKb: Math.round(((connectionsRssMb - idleRssMb) * 1024 * 10) / plan.connections) / 10,
        };
        if (front.name === 'faultline' && plan.steadySeconds > 0) {
          await settle(2000);
          row.steadyBeforeMb = treeRssMb(running.pid);
          const steady = await runWrk(running.url, { connections: 50, seconds: plan.steadySeconds });
          await settle(2000);
          row.steadyAfterMb = treeRssMb(running.pid);
          row.steadySeconds = plan.steadySeconds;
          row.steadyRequests = Math.round(steady.rps * plan.steadySeconds);
        }
        rows.push(row);
        plan.log(
          `    ${front.name.padEnd(14)} idle ${idleRssMb} MB, ${held}/${plan.connections} idle connections ${connectionsRssMb} MB (${row.perConnectionKb} KB each)${
            row.steadyAfterMb === undefined
              ? ''
              : `; ${plan.steadySeconds} s steady: ${row.steadyBeforeMb} → ${row.steadyAfterMb} MB`
          }`,
        );
      } finally {
        await running.stop();
      }
    }
  } finally {
    await killAllBackends();
  }
  return rows;
}
