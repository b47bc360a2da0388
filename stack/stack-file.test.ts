import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { parseStackConfig } from './stack-file.ts';

function problems(text: string) {
  try {
    parseStackConfig(text, 'stack.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('accepted');
}

describe('local stack file', () => {
  it('the shipped example is valid', () => {
    const text = readFileSync(fileURLToPath(new URL('../examples/stack.yaml', import.meta.url)), 'utf8');
    const stack = parseStackConfig(text);
    expect(stack.backends.map((b) => b.name)).toEqual(['app1', 'app2', 'app3']);
    expect(stack.backends[1]?.env).toEqual({ LATENCY_MS: '5' });
    expect(stack.proxies).toBe(true);
    expect(stack.balancer.pool).toMatchObject({ retries: 2 });
  });

  it.each([
    ['no backends', 'proxies: true\n', 'backends', 'is required'],
    ['empty backends', 'backends: []\n', 'backends', 'needs at least one backend'],
    ['bad name', 'backends:\n  - { name: "app 1" }\n', 'backends[0].name', 'may contain only letters'],
    ['duplicate', 'backends:\n  - { name: a }\n  - { name: a }\n', 'backends[1].name', 'used twice'],
    ['only backups', 'backends:\n  - { name: a, backup: true }\n', 'backends', 'needs at least one primary'],
    ['weight', 'backends:\n  - { name: a, weight: 0 }\n', 'backends[0].weight', 'at least 1'],
    ['unknown field', 'backends:\n  - { name: a, wieght: 2 }\n', 'backends[0]', 'unknown field "wieght"'],
    ['unknown protocol', 'backends:\n  - { name: a }\nprotocol: udp\n', 'protocol', 'tcp'],
    [
      'an http health check on a tcp stack',
      'backends:\n  - { name: a }\nprotocol: tcp\nbalancer:\n  pool:\n    health: { type: http }\n',
      'balancer.pool.health.type',
      'must be tcp in a tcp pool',
    ],
  ])('%s', (_name, text, path, fragment) => {
    const found = problems(text).find((i) => i.path === path);
    expect(found, JSON.stringify(problems(text))).toBeDefined();
    expect(found?.message).toContain(fragment);
  });

  it('names the line', () => {
    const [issue] = problems('backends:\n  - name: a\n    weight: heavy\n');
    expect(issue).toMatchObject({ path: 'backends[0].weight', line: 3 });
  });

  it('checks the balancer settings as the balancer would, at the field and line written', () => {
    const text =
      'backends:\n  - name: a\nbalancer:\n  timeouts:\n    connect: soon\n  pool:\n    retries: -1\n';
    expect(problems(text)).toEqual([
      { path: 'balancer.timeouts.connect', line: 5, message: expect.stringContaining('must be a duration') },
      { path: 'balancer.pool.retries', line: 7, message: 'must be an integer from 0 to 10 (got -1)' },
    ]);
  });
});
