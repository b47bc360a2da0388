import { createHash } from 'node:crypto';
import type { HashKeySource } from '../config/types.ts';
import type { PickContext } from './types.ts';

/** 32-bit FNV-1a: fast, well spread for short keys such as IPs and session ids. */
export function fnv1a(input: string, seed = 0x811c9dc5): number {
  let hash = seed >>> 0;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32): FNV alone clusters keys that differ only at the end.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Four 32-bit ring points from one md5, as ketama does. */
export function md5Points(input: string): number[] {
  const digest = createHash('md5').update(input).digest();
  return [0, 4, 8, 12].map((offset) => digest.readUInt32LE(offset));
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The request's hash key. A missing header or cookie falls back to the client IP. */
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
