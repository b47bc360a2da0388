import { readFileSync } from 'node:fs';
import net from 'node:net';

/** A port free on `host` right now (the kernel's choice from the ephemeral range). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function portBindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral port range (Linux); the usual default elsewhere. */
export function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high) return { low, high };
  } catch {
    // not Linux
  }
  return { low: 32768, high: 60999 };
}

/**
 * A port free on `host` that lies outside the ephemeral range, for a port published by a
 * container engine: Docker picks the host ports of `127.0.0.1::8080` mappings from the
 * ephemeral range as well, so a port the kernel chose a moment ago may be taken by the time
 * the engine binds it. Candidates are drawn at random from 20000 up to the range's start.
 */
export async function freePortOutsideEphemeral(host = '127.0.0.1', tries = 50): Promise<number> {
  const { low, high } = ephemeralRange();
  const [from, to] = low > 21_000 ? [20_000, low - 1] : [high + 1, 65_535];
  for (let i = 0; i < tries; i++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (await portBindable(port, host)) return port;
  }
  return freePort(host);
}

/** Whether a TCP connection to `host`:`port` (default 127.0.0.1) succeeds: something listens and accepts. */
export function portAnswers(port: number, timeoutMs = 1000, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
