import { afterEach, describe, expect, it } from 'vitest';
import { chooseNodeImage, DEFAULT_NODE_IMAGE, OFFLINE_NODE_IMAGE } from './base-image.ts';

const saved = process.env.FAULTLINE_NODE_IMAGE;
afterEach(() => {
  if (saved === undefined) delete process.env.FAULTLINE_NODE_IMAGE;
  else process.env.FAULTLINE_NODE_IMAGE = saved;
});

/**
 * An engine that has `images`, can pull `pullable`, and can build the offline base unless
 * `buildFails`; records what it pulled and built. (The real engine: test/docker/base-image.test.ts.)
 */
function engine(images: string[], pullable: string[] = [], buildFails = false) {
  const pulled: string[] = [];
  const built: string[] = [];
  return {
    pulled,
    built,
    has: async (i: string) => images.includes(i) || built.includes(i),
    pull: async (i: string) => {
      if (!pullable.includes(i)) throw new Error(`pull access denied for ${i}`);
      pulled.push(i);
    },
    buildOffline: async (i: string) => {
      if (buildFails) throw new Error('docker import: no space left on device');
      built.push(i);
    },
  };
}

describe('the Node base image of the compose images', () => {
  it('takes the official image when the engine has it or can pull it', async () => {
    delete process.env.FAULTLINE_NODE_IMAGE;
    const has = engine([DEFAULT_NODE_IMAGE]);
    expect(await chooseNodeImage(has)).toBe(DEFAULT_NODE_IMAGE);
    const pulls = engine([], [DEFAULT_NODE_IMAGE]);
    expect(await chooseNodeImage(pulls)).toBe(DEFAULT_NODE_IMAGE);
    expect(pulls.pulled).toEqual([DEFAULT_NODE_IMAGE]);
  });

  it('falls back to the offline base, building it when the engine has none, and says so in one line', async () => {
    delete process.env.FAULTLINE_NODE_IMAGE;
    const lines: string[] = [];
    const offline = engine([OFFLINE_NODE_IMAGE]);
    expect(await chooseNodeImage(offline, (l) => lines.push(l))).toBe(OFFLINE_NODE_IMAGE);
    expect(offline.built).toEqual([]);
    expect(lines).toEqual([
      `${DEFAULT_NODE_IMAGE} cannot be pulled (pull access denied for ${DEFAULT_NODE_IMAGE}); building on the offline base ${OFFLINE_NODE_IMAGE}`,
    ]);
    lines.length = 0;
    const none = engine([]);
    expect(await chooseNodeImage(none, (l) => lines.push(l))).toBe(OFFLINE_NODE_IMAGE);
    expect(none.built).toEqual([OFFLINE_NODE_IMAGE]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /cannot be pulled .*: built the offline base faultline\/node-offline:20 from this machine's node in /,
    );
    const broken = engine([], [], true);
    await expect(chooseNodeImage(broken)).rejects.toMatchObject({
      code: 'FL_COMPOSE_FAILED',
      message: expect.stringContaining(
        "could not be built from this machine's node (scripts/build-offline-base.sh): docker import: no space left on device",
      ),
    });
  });

  it('FAULTLINE_NODE_IMAGE wins, and one the engine cannot get is an error naming it', async () => {
    process.env.FAULTLINE_NODE_IMAGE = 'registry.example/node:20';
    const has = engine(['registry.example/node:20', DEFAULT_NODE_IMAGE]);
    expect(await chooseNodeImage(has)).toBe('registry.example/node:20');
    const none = engine([DEFAULT_NODE_IMAGE]);
    await expect(chooseNodeImage(none)).rejects.toThrow(
      /FAULTLINE_NODE_IMAGE=registry\.example\/node:20: the engine has no such image/,
    );
  });
});
