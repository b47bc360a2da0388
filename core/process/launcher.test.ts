import { afterEach, describe, expect, it } from 'vitest';
import { FaultlineError } from '../errors.ts';
import { ChildStartError, killAllChildren, type LaunchSpec, spawnChild } from './launcher.ts';

afterEach(killAllChildren);

const node = (script: string): LaunchSpec => ({
  command: process.execPath,
  args: ['-e', script],
  cwd: process.cwd(),
  env: {},
});

const options = {
  label: 'child',
  listeningPort: (event: Record<string, unknown>) =>
    typeof event.port === 'number' ? event.port : undefined,
  relaunch: (_port: number, launch: LaunchSpec) => launch,
};

async function startFailure(launch: LaunchSpec, startTimeoutMs?: number): Promise<ChildStartError> {
  const error = await spawnChild('child', launch, { ...options, startTimeoutMs }).catch(
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ChildStartError);
  expect(error).toBeInstanceOf(FaultlineError);
  expect((error as ChildStartError).code).toBe('FL_PROCESS_START_FAILED');
  return error as ChildStartError;
}

describe('a child that does not come up: ChildStartError, FL_PROCESS_START_FAILED', () => {
  it('exits with one line on stderr: that line ends the one-line message', async () => {
    const error = await startFailure(
      node("process.stderr.write('child: PORT must be a number\\n'); process.exit(2)"),
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('child exited (exit code 2) before listening: child: PORT must be a number');
  });

  it('crashes: the message quotes its stderr without the stack frames; `stderr` keeps them', async () => {
    const error = await startFailure(node("throw new Error('boom')"));
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/^child exited \(exit code 1\) before listening; its stderr:\n/);
    expect(error.message).toContain('Error: boom');
    expect(error.message).not.toMatch(/\n\s+at /);
    expect(error.stderr).toMatch(/\n\s+at /);
  });

  it('prints no listening line in time: killed, exit code null', async () => {
    const error = await startFailure(node('setInterval(() => {}, 1000)'), 300);
    expect(error.exitCode).toBeNull();
    expect(error.message).toBe('child printed no listening line within 300ms');
  });

  it('cannot be spawned at all', async () => {
    const error = await startFailure({ ...node(''), command: '/nonexistent/faultline-child' });
    expect(error.exitCode).toBeNull();
    expect(error.message).toMatch(/^child could not be spawned: .*ENOENT/);
  });
});
