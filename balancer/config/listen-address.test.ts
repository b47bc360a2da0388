import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../core/errors.ts';
import { formatListenAddress, isLoopback, parseConfigText, parseListenAddress } from './index.ts';

describe('listen addresses', () => {
  it.each([
    ['127.0.0.1:8080', '127.0.0.1', 8080],
    ['localhost:0', 'localhost', 0],
    ['[::1]:0', '::1', 0],
    ['[::]:8080', '::', 8080],
    [':8080', '0.0.0.0', 8080],
    ['0.0.0.0:0', '0.0.0.0', 0],
    ['8080', '127.0.0.1', 8080],
    [8080, '127.0.0.1', 8080],
    [0, '127.0.0.1', 0],
    ['balancer.internal:80', 'balancer.internal', 80],
  ] as const)('%j → %s port %i', (input, host, port) => {
    expect(parseListenAddress(input)).toEqual({ host, port });
  });

  it.each([
    ['localhost', 'must be "host:port", "[ipv6]:port", ":port" (all interfaces) or a port number (loopback)'],
    ['::1:8080', 'must be "host:port"'],
    ['[::1]', 'must be "host:port"'],
    ['[nope]:1', '"nope" is not an IPv6 address'],
    ['bad_host!:1', 'is not a host name or IPv4 address'],
    ['127.0.0.1:65536', 'port must be from 0 to 65535 (got 65536)'],
    [-1, 'port must be from 0 to 65535 (got -1)'],
    [80.5, 'must be "host:port"'],
  ] as const)('rejects %j', (input, message) => {
    expect(() => parseListenAddress(input)).toThrow(FaultlineError);
    expect(() => parseListenAddress(input)).toThrow(message);
  });

  it('formats addresses back, brackets for IPv6', () => {
    expect(formatListenAddress({ host: '::1', port: 0 })).toBe('[::1]:0');
    expect(formatListenAddress({ host: '127.0.0.1', port: 80 })).toBe('127.0.0.1:80');
  });

  it('knows loopback addresses', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'localhost',
    ]) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '::ffff:10.0.0.1']) {
      expect(isLoopback(host), host).toBe(false);
    }
  });

  it('accepts every form in a config, and an admin API on loopback without a token', () => {
    const config = parseConfigText(
      'listen: "[::1]:0"\nadmin: { listen: "[::1]:0" }\npools:\n  web:\n    servers: [{ name: a, url: "http://[::1]:1" }]\n',
      { env: {} },
    );
    expect(config.listeners[0]?.listen).toEqual({ host: '::1', port: 0 });
    expect(config.admin).toEqual({ listen: { host: '::1', port: 0 }, token: undefined });
    const open = parseConfigText(
      'listen: ":0"\nadmin: { listen: "0.0.0.0:0", token: 0123456789abcdefXYZ }\npools:\n  web:\n    servers: [{ name: a, url: "http://127.0.0.1:1" }]\n',
      { env: {} },
    );
    expect(open.listeners[0]?.listen).toEqual({ host: '0.0.0.0', port: 0 });
    expect(open.admin.token).toBe('0123456789abcdefXYZ');
  });
});
