import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../core/errors.ts';
import { BackendStartError, killAllBackends, spawnBackend } from './spawn.ts';

afterEach(killAllBackends);

async function startFailure(start: Promise<unknown>): Promise<BackendStartError> {
  const error = await start.then(
    () => {
      throw new Error('the backend started');
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(FaultlineError);
  expect(error).toBeInstanceOf(BackendStartError);
  expect((error as FaultlineError).code).toBe('FL_PROCESS_START_FAILED');
  return error as BackendStartError;
}

describe('a backend that cannot start rejects with FL_PROCESS_START_FAILED', () => {
  it('an env value the backend rejects: one line naming the variable; exit code and stderr kept', async () => {
    const error = await startFailure(spawnBackend('app1', { LATENCY_MS: 'fast' }));
    expect(error.exitCode).toBe(2);
    expect(error.stderr).toContain('LATENCY_MS');
    expect(error.message).toBe(
      'backend app1 exited (exit code 2) before listening: sample backend: invalid environment: ' +
        'LATENCY_MS must be an integer number of milliseconds from 0 to 600000, got "fast"',
    );
  });

  it('its port in use: the message names the port and EADDRINUSE', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const error = await startFailure(spawnBackend('app2', { PORT: String(port) }));
      expect(error.exitCode).toBe(1);
      expect(error.message).toBe(
        `backend app2 exited (exit code 1) before listening: sample backend: app2 cannot listen on ` +
          `127.0.0.1:${port}: address already in use (EADDRINUSE)`,
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
