import { isIPv4, isIPv6 } from 'node:net';
import { FaultlineError } from '../../core/errors.ts';
import { describe } from '../../core/validation/messages.ts';
import type { ListenAddress } from './types.ts';

const HOST_PORT = /^(?:\[([^\]]*)\]|([^:[\]\s]*)):(\d+)$/;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const FORMS = '"host:port", "[ipv6]:port", ":port" (all interfaces) or a port number (loopback)';

/**
 * Reads a listen address without throwing: the address, or the message that says what is wrong.
 * `host:port`, `[::1]:port`, `:port` (0.0.0.0, all interfaces) or a bare port (127.0.0.1).
 * Port 0 asks the OS for a free port.
 */
export function checkListenAddress(input: unknown): ListenAddress | string {
  if (typeof input === 'number') {
    return Number.isInteger(input) ? checkPort('127.0.0.1', input) : `must be ${FORMS} (got ${input})`;
  }
  if (typeof input !== 'string') return `must be ${FORMS} (got ${describe(input)})`;
  const text = input.trim();
  if (/^\d+$/.test(text)) return checkPort('127.0.0.1', Number(text));
  const match = HOST_PORT.exec(text);
  if (!match) return `must be ${FORMS} (got ${describe(input)})`;
  const [, v6, name, port] = match;
  if (v6 !== undefined && !isIPv6(v6)) return `"${v6}" is not an IPv6 address (got ${describe(input)})`;
  const host = v6 ?? (name || '0.0.0.0');
  if (v6 === undefined && !isIPv4(host) && !HOST_NAME.test(host)) {
    return `"${host}" is not a host name or IPv4 address (got ${describe(input)})`;
  }
  return checkPort(host, Number(port));
}

function checkPort(host: string, port: number): ListenAddress | string {
  if (port < 0 || port > 65_535) return `port must be from 0 to 65535 (got ${port})`;
  return { host, port };
}

/** Like `checkListenAddress`, but throws a FaultlineError (FL_CONFIG_INVALID) for a bad address. */
export function parseListenAddress(input: string | number): ListenAddress {
  const result = checkListenAddress(input);
  if (typeof result === 'string') {
    throw new FaultlineError('FL_CONFIG_INVALID', `invalid listen address: ${result}`);
  }
  return result;
}

/** `{ host: '::1', port: 80 }` → `[::1]:80`. */
export function formatListenAddress(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** 127.0.0.0/8, ::1 (in any spelling, also IPv4-mapped 127.x) and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (!isIPv6(h)) return false;
  const normal = new URL(`http://[${h}]/`).hostname;
  return normal === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:/.test(normal);
}
