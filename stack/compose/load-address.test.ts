import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { portAnswers } from '../../core/net/ports.ts';
import { refusingPort } from '../../test/fixtures/ports.ts';
import { BALANCER_CONTAINER_PORT, balancerLoadAddress } from './load-address.ts';

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listening(): Promise<number> {
  const server = net.createServer((socket) => socket.end());
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const container = (ips: string[]) =>
  ({
    NetworkSettings: { Networks: Object.fromEntries(ips.map((ip, i) => [`net${i}`, { IPAddress: ip }])) },
  }) as unknown as Docker.ContainerInfo;

/** The container's port 8080 stands for a real port here: what answers there decides. */
const via = (port: number) => (host: string, containerPort: number) => {
  expect(containerPort).toBe(BALANCER_CONTAINER_PORT);
  return portAnswers(port, 500, host);
};

describe('balancerLoadAddress', () => {
  it("uses the container's own address when it answers, so docker-proxy is not in the load's path", async () => {
    const port = await listening();
    const chosen = await balancerLoadAddress(container(['127.0.0.1']), 'http://127.0.0.1:18080', via(port));
    expect(chosen).toEqual({ url: `http://127.0.0.1:${BALANCER_CONTAINER_PORT}`, direct: true });
  });

  it('falls back to the published port when the container address does not answer, or there is none', async () => {
    const closed = await refusingPort();
    const published = 'http://127.0.0.1:18080';
    expect(await balancerLoadAddress(container(['127.0.0.1']), published, via(closed))).toEqual({
      url: published,
      direct: false,
    });
    expect(await balancerLoadAddress(container([]), published, via(closed))).toEqual({
      url: published,
      direct: false,
    });
    expect(await balancerLoadAddress(container(['']), published, via(closed))).toEqual({
      url: published,
      direct: false,
    });
  });
});
