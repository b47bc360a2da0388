import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LocalStack } from '../../stack/local/local-stack.ts';
import { SAMPLE_STACK } from '../../stack/sample.ts';

const PARENT = fileURLToPath(new URL('../fixtures/stack-parent.ts', import.meta.url));

/** Running and not a zombie (an orphan's exit may wait for pid 1 to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('the stack dies with the process that started it', () => {
  it('SIGKILL of the parent: every backend and the balancer exit within seconds', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', PARENT], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (chunk: Buffer) => {
        out += chunk;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { pids: number[] }).pids);
      });
      parent.once('exit', (code) =>
        reject(new Error(`stack parent exited (${code}) before printing its pids`)),
      );
    });
    expect(pids).toHaveLength(4);
    expect(pids.every(alive)).toBe(true);

    parent.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(alive)).toEqual([]);
  }, 40_000);

  it('watching the parent keeps nothing alive: stop() ends the balancer by SIGTERM, not by the kill fallback', async () => {
    const stack = await LocalStack.start({ backends: SAMPLE_STACK.slice(0, 1), balancer: 'process' });
    const balancer = stack.balancerProcess;
    expect(balancer).toBeDefined();
    await stack.stop();
    expect(await balancer?.exited).toEqual({ code: 0, signal: null });
  }, 40_000);
});
