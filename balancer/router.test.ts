import { describe, expect, it } from 'vitest';
import { hostWithoutPort, Router } from './router.ts';

describe('Router', () => {
  const router = new Router([
    { host: '*', path: '/', pool: 'default' },
    { host: '*', path: '/api', pool: 'api' },
    { host: '*.example.com', path: '/', pool: 'wild' },
    { host: 'shop.example.com', path: '/', pool: 'shop' },
    { host: 'shop.example.com', path: '/api/v2', pool: 'shop-v2' },
  ]);

  it.each([
    ['anything', '/', 'default'],
    ['anything', '/api', 'api'],
    ['anything', '/api/users?x=1', 'api'],
    ['anything', '/apix', 'default'],
    ['a.example.com', '/api', 'wild'],
    ['example.com', '/', 'default'],
    ['SHOP.example.com:8080', '/', 'shop'],
    ['shop.example.com', '/api/v2/orders', 'shop-v2'],
    ['shop.example.com', '/api/v1', 'shop'],
    [undefined, '/api', 'api'],
  ])('host %s path %s → %s', (host, path, pool) => {
    expect(router.match(host, path)?.pool).toBe(pool);
  });

  it('returns undefined when nothing matches', () => {
    expect(new Router([{ host: 'a.test', path: '/', pool: 'x' }]).match('b.test', '/')).toBeUndefined();
  });

  it('strips ports including IPv6 literals', () => {
    expect(hostWithoutPort('[::1]:8080')).toBe('[::1]');
    expect(hostWithoutPort('Host.Test:80')).toBe('host.test');
    expect(hostWithoutPort(undefined)).toBe('');
  });
});
