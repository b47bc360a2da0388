import { describe, expect, it } from 'vitest';
import { publishedUrl } from '../../chaos/targets/docker-target.ts';

describe('published container ports', () => {
  const container = (
    ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>,
  ) => ({
    Id: 'c1',
    Names: ['/p_app1_1'],
    Labels: {},
    Ports: ports,
  });

  it('gives the loopback URL of a published port, and nothing for an unpublished one', () => {
    expect(
      publishedUrl(container([{ IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 49153, Type: 'tcp' }]), 8080),
    ).toBe('http://127.0.0.1:49153');
    expect(publishedUrl(container([{ PrivatePort: 8080, Type: 'tcp' }]), 8080)).toBeUndefined();
    expect(
      publishedUrl(container([{ IP: '127.0.0.1', PrivatePort: 9090, PublicPort: 1, Type: 'tcp' }]), 8080),
    ).toBeUndefined();
  });
});
