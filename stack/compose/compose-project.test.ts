import { afterEach, describe, expect, it } from 'vitest';
import { publishedUrl } from '../../chaos/targets/docker-target.ts';
import { chooseNodeImage, DEFAULT_NODE_IMAGE, OFFLINE_NODE_IMAGE } from './compose-project.ts';

const saved = process.env.FAULTLINE_NODE_IMAGE;
afterEach(() => {
  if (saved === undefined) delete process.env.FAULTLINE_NODE_IMAGE;
  else process.env.FAULTLINE_NODE_IMAGE = saved;
});

/** An engine that has `images` and can pull `pullable`; records what was pulled. */
function engine(images: string[], pullable: string[] = []) {
  const pulled: string[] = [];
  return {
    pulled,
    has: async (i: string) => images.includes(i),
    pull: async (i: string) => {
      if (!pullable.includes(i)) throw new Error(`pull access denied for ${i}`);
      pulled.push(i);
    },
  };
}

describe('the Node base image of the compose images', () => {
  it('takes the official image when the engine has it or can pull it', async () => {
    delete process.env.FAULTLINE_NODE_IMAGE;
    const has = engine([DEFAULT_NODE_IMAGE]);
    expect(await chooseNodeImage(has.has, has.pull)).toBe(DEFAULT_NODE_IMAGE);
    const pulls = engine([], [DEFAULT_NODE_IMAGE]);
    expect(await chooseNodeImage(pulls.has, pulls.pull)).toBe(DEFAULT_NODE_IMAGE);
    expect(pulls.pulled).toEqual([DEFAULT_NODE_IMAGE]);
  });

  it('falls back to the offline base, and says so; without one it says how to build it', async () => {
    delete process.env.FAULTLINE_NODE_IMAGE;
    const lines: string[] = [];
    const offline = engine([OFFLINE_NODE_IMAGE]);
    expect(await chooseNodeImage(offline.has, offline.pull, (l) => lines.push(l))).toBe(OFFLINE_NODE_IMAGE);
    expect(lines.join('\n')).toContain(`${DEFAULT_NODE_IMAGE} cannot be pulled`);
    const none = engine([]);
    await expect(chooseNodeImage(none.has, none.pull)).rejects.toMatchObject({
      code: 'FL_COMPOSE_FAILED',
      message: expect.stringContaining('scripts/build-offline-base.sh'),
    });
  });

  it('FAULTLINE_NODE_IMAGE wins, and one the engine cannot get is an error naming it', async () => {
    process.env.FAULTLINE_NODE_IMAGE = 'registry.example/node:20';
    const has = engine(['registry.example/node:20', DEFAULT_NODE_IMAGE]);
    expect(await chooseNodeImage(has.has, has.pull)).toBe('registry.example/node:20');
    const none = engine([DEFAULT_NODE_IMAGE]);
    await expect(chooseNodeImage(none.has, none.pull)).rejects.toThrow(
      /FAULTLINE_NODE_IMAGE=registry\.example\/node:20: the engine has no such image/,
    );
  });
});

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
