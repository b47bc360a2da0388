import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfigText } from '../../balancer/index.ts';
import { SAMPLE_STACK } from '../sample.ts';
import { composeBalancerConfig, composeProblems } from './compose-stack.ts';

const env = { FAULTLINE_ADMIN_TOKEN: 'a-token-for-the-test' };

describe('the compose stack as a drill target', () => {
  it('writes a balancer config the balancer accepts: through the toxic proxies or direct', () => {
    const proxied = parseConfigText(
      stringify(
        composeBalancerConfig({ backends: SAMPLE_STACK, proxies: true, pool: { algorithm: 'latency' } }),
      ),
      { env },
    );
    const pool = proxied.pools.web;
    expect(pool?.algorithm).toBe('latency');
    expect(pool?.servers.map((s) => [s.name, s.url, s.weight, s.backup])).toEqual([
      ['app1', 'http://toxiproxy:21001', 3, false],
      ['app2', 'http://toxiproxy:21002', 1, false],
      ['app3', 'http://toxiproxy:21003', 1, true],
    ]);
    expect(proxied.admin?.token).toBe(env.FAULTLINE_ADMIN_TOKEN);
    expect(proxied.timeouts.connect).toBe(250);
    const direct = parseConfigText(
      stringify(composeBalancerConfig({ backends: SAMPLE_STACK, proxies: false })),
      {
        env,
      },
    );
    expect(direct.pools.web?.servers.map((s) => s.url)).toEqual([
      'http://app1:8080',
      'http://app2:8080',
      'http://app3:8080',
    ]);
  });

  it('the config never carries the admin token itself, only a reference to it', () => {
    const text = stringify(composeBalancerConfig({ backends: SAMPLE_STACK, proxies: false }));
    expect(text).toMatch(/\$\{FAULTLINE_ADMIN_TOKEN\}/);
    expect(() => parseConfigText(text, { env: {} })).toThrow(/FAULTLINE_ADMIN_TOKEN/);
  });

  it('names every field the compose stack cannot honour, and nothing for the catalog stacks', () => {
    expect(
      composeProblems({ backends: SAMPLE_STACK, proxies: true, pool: { algorithm: 'latency' } }),
    ).toEqual([]);
    expect(
      composeProblems({
        backends: [{ name: 'app1', env: { ERROR_RATE: '0.5' } }, { name: 'web4' }],
        proxies: false,
        balancer: { listen: '127.0.0.1:0', admin: {}, timeouts: { connect: '1s' } },
      }),
    ).toEqual([
      expect.stringMatching(/^stack\.backends\[0\]\.env: /),
      expect.stringMatching(
        /^stack\.backends\[1\]\.name: "web4" is not a backend service .*app1, app2, app3/,
      ),
      expect.stringMatching(/^stack\.balancer\.listen: fixed by the compose stack/),
      expect.stringMatching(/^stack\.balancer\.admin: fixed by the compose stack/),
    ]);
  });
});
