import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openIdleConnections, treeRssMb } from './memory.ts';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

describe('memory bench', () => {
  it('counts the resident memory of a process and its children', async () => {
    // A parent holding little, with a child that fills 80 MB.
    const parent = spawn(process.execPath, [
      '-e',
      `const c = require('node:child_process').spawn(process.execPath, ['-e', "globalThis.b = Buffer.alloc(80 * 1048576, 1); console.log('ready'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'inherit', 'inherit'] }); process.on('SIGTERM', () => { c.kill(); process.exit(0); }); setInterval(() => {}, 1000);`,
    ]);
    cleanup.push(() => parent.kill('SIGTERM'));
    await new Promise<void>((resolve) => parent.stdout?.once('data', () => resolve()));
    const mb = treeRssMb(parent.pid as number);
    expect(mb).toBeGreaterThan(80);
    expect(mb).toBeLessThan(400);
  });

  it('opens keep-alive connections that each got a whole answer and stay open', async () => {
    const server = http.createServer((_req, res) => res.end('x'.repeat(5000)));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => server.close());
    let requests = 0;
    server.on('request', () => requests++);
    const sockets = await openIdleConnections((server.address() as AddressInfo).port, 120);
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
    });
    expect(requests).toBe(120);
    expect(sockets.filter((s) => s.readyState === 'open')).toHaveLength(120);
  });
});
