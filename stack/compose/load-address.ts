import type Docker from 'dockerode';
import { portAnswers } from '../../core/net/ports.ts';

/** The port the balancer listens on inside its container (docker-compose.yml). */
export const BALANCER_CONTAINER_PORT = 8080;

export interface LoadAddress {
  url: string;
  /** True when the load goes to the container's own address, past Docker's port publishing. */
  direct: boolean;
}

/**
 * Where a drill's load goes on the compose stack: straight to the balancer container on its
 * bridge network when this host can reach it (Docker on Linux), else its published port (Docker
 * Desktop, a remote engine). Behind a published port every connection goes through
 * `docker-proxy`, a userland copy loop: on a 2-core machine it took 0.3 of a core at 1,300 req/s
 * and capped the drill there (p50 1.7-3.6 s at 2,000 req/s asked), where the container's own
 * address carried 2,000 req/s with p99 30-130 ms. The drill then measures the stack, not the
 * engine's port forwarding.
 */
export async function balancerLoadAddress(
  balancer: Docker.ContainerInfo,
  publishedUrl: string,
  answers: (host: string, port: number) => Promise<boolean> = (host, port) => portAnswers(port, 500, host),
): Promise<LoadAddress> {
  const networks = Object.values(balancer.NetworkSettings?.Networks ?? {});
  for (const network of networks) {
    const ip = network.IPAddress;
    if (ip && (await answers(ip, BALANCER_CONTAINER_PORT))) {
      return { url: `http://${ip}:${BALANCER_CONTAINER_PORT}`, direct: true };
    }
  }
  return { url: publishedUrl, direct: false };
}
