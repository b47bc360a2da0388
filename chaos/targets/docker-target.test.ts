import net from 'node:net';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../core/errors.ts';
import { connectDocker, idempotent } from './docker-target.ts';

// The Docker target acts on a real engine in the compose-stack suite; here only what needs none.
describe('docker target without an engine', () => {
  it('says clearly that no engine answers', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise((r) => server.close(r));
    const error = await connectDocker(new Docker({ host: '127.0.0.1', port, protocol: 'http' })).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(FaultlineError);
    expect(error.code).toBe('FL_DOCKER_UNAVAILABLE');
    expect(error.message).toContain('no Docker engine answers');
  });

  it('treats "already in that state" answers as done, and rethrows the rest', async () => {
    expect(await idempotent(async () => {})).toBe('done');
    expect(
      await idempotent(() => Promise.reject(Object.assign(new Error('not paused'), { statusCode: 409 }))),
    ).toBe('already');
    expect(
      await idempotent(() => Promise.reject(Object.assign(new Error('started'), { statusCode: 304 }))),
    ).toBe('already');
    await expect(
      idempotent(() => Promise.reject(Object.assign(new Error('gone'), { statusCode: 404 }))),
    ).rejects.toThrow('gone');
  });
});
