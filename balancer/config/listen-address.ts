import type { ListenAddress } from './types.ts';

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/;

/**
 * `host:port`, `[::1]:port`, `:port` (all interfaces) or a bare port (loopback).
 * Returns an error message instead of throwing.
 */
export function parseListenAddress(input: string | number): ListenAddress | string {
  const text = String(input).trim();
  if (/^\d{1,5}$/.test(text)) return checkPort('127.0.0.1', Number(text));
  const match = HOST_PORT.exec(text);
  if (!match)
    return `must be "host:port", "[ipv6]:port", ":port" or a port number (got ${JSON.stringify(input)})`;
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return checkPort(host, Number(match[3]));
}

function checkPort(host: string, port: number): ListenAddress | string {
  if (port > 65_535) return `port must be from 0 to 65535 (got ${port})`;
  return { host, port };
}

export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
