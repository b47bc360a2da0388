import { createHash } from 'node:crypto';
import { cookieValue } from '../../core/net/cookie.ts';
import type { HashKeySource } from '../config/types.ts';
import type { PickContext } from './types.ts';

/** 32-bit FNV-1a with a murmur3 finaliser: fast per request, well spread for IPs and ids. */
export function fnv1a(input: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // FNV alone clusters keys that differ only in their last characters (10.0.0.1, 10.0.0.2).
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** `count` ring points for a server, four per md5 of `name-i`, as ketama does. */
export function ringPoints(name: string, count: number): number[] {
  const points: number[] = [];
  for (let i = 0; points.length < count; i++) {
    const digest = createHash('md5').update(`${name}-${i}`).digest();
    for (let offset = 0; offset < 16 && points.length < count; offset += 4) {
      points.push(digest.readUInt32LE(offset));
    }
  }
  return points;
}

/**
 * The request's hash key. A missing or empty header or cookie falls back to the client IP, so a
 * client without a session still sticks somewhere instead of all such clients sharing one key.
 */
export function hashKey(source: HashKeySource, ctx: PickContext): string {
  if (source.from === 'header') {
    const value = ctx.headers[source.name.toLowerCase()];
    const first = Array.isArray(value) ? value[0] : value;
    if (first) return first;
  } else if (source.from === 'cookie') {
    const value = cookieValue(ctx.headers.cookie, source.name);
    if (value) return value;
  }
  return ctx.clientIp;
}
