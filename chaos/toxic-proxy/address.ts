import { isIP } from 'node:net';
import type { HostPort } from './connection.ts';
import { ToxicProxyError } from './errors.ts';

/** Parses "host:port" (IPv6 as "[::1]:port"); `field` names the field in error messages. */
export function parseHostPort(value: unknown, field: string, minPort: number): HostPort {
  const match =
    typeof value === 'string' ? /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim()) : null;
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || port < minPort || port > 65535) {
    throw new ToxicProxyError(
      'invalid_proxy',
      `${field}: must be "host:port" with a port from ${minPort} to 65535 (got ${JSON.stringify(value) ?? 'undefined'})`,
    );
  }
  return { host, port };
}

export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
