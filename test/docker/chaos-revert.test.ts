/**
 * Docker reverts on a real engine: a container removed since the fault is "nothing to do";
 * partition restores every network with its aliases; a container that is not (or no longer) an
 * opted-in target of the project is never touched by a revert.
 *   npx vitest run --config vitest.docker.config.ts test/docker/chaos-revert.test.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDocker, nodeImage } from '../fixtures/docker-engine.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/faultline.js');
const COMPOSE_FILE = join(ROOT, 'test/fixtures/compose/chaos-targets.yml');
const PROJECT = `faultline-revert-${process.pid}`;

let compose: string[];
let env: NodeJS.ProcessEnv;
let ledger: string;

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8' });
const up = () =>
  sh(compose[0] as string, [
    ...compose.slice(1),
    '-f',
    COMPOSE_FILE,
    '-p',
    PROJECT,
    'up',
    '-d',
    '--force-recreate',
  ]);

function faultline(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function containerId(service: string): string {
  return sh('docker', [
    'ps',
    '-aq',
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${PROJECT}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
  ]).trim();
}

function inspect(id: string) {
  return JSON.parse(sh('docker', ['inspect', id]))[0] as {
    State: { Paused: boolean; Running: boolean };
    NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
  };
}

/** Network → sorted aliases, as `docker inspect` shows them. */
function networksOf(id: string): Record<string, string[]> {
  const networks = inspect(id).NetworkSettings.Networks;
  return Object.fromEntries(
    Object.entries(networks).map(([name, n]) => [name, [...new Set(n.Aliases ?? [])].sort()]),
  );
}

const ledgerTypes = () =>
  readFileSync(ledger, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; outcome?: string });

beforeAll(() => {
  env = { ...process.env };
  compose = ensureDocker();
  env.FAULTLINE_NODE_IMAGE = nodeImage(env.FAULTLINE_NODE_IMAGE ?? 'faultline/node-offline:20');
}, 600_000);

beforeEach(() => {
  ledger = join(mkdtempSync(join(tmpdir(), 'faultline-docker-revert-')), 'ledger.jsonl');
  env.FAULTLINE_LEDGER = ledger;
  up();
}, 120_000);

afterAll(() => {
  if (compose)
    sh(compose[0] as string, [
      ...compose.slice(1),
      '-f',
      COMPOSE_FILE,
      '-p',
      PROJECT,
      'down',
      '-v',
      '--remove-orphans',
      '-t',
      '1',
    ]);
}, 120_000);

describe('docker reverts re-check the container before acting', () => {
  for (const fault of ['pause', 'partition', 'kill']) {
    it(`${fault}, then the container is removed: revert is "nothing to do", exit 0, ledger clean`, () => {
      const id = containerId('target');
      const injected = faultline(['chaos', fault, 'target', '--docker', PROJECT]);
      expect(injected.code, injected.err).toBe(0);
      sh('docker', ['rm', '-f', id]);
      const revert = faultline(['revert']);
      expect(revert.code, revert.err).toBe(0);
      expect(revert.out).toContain(`container ${id.slice(0, 12)} no longer exists: nothing to`);
      expect(revert.out).toContain('1 reverted, 0 failed');
      expect(ledgerTypes().at(-1)).toMatchObject({ type: 'reverted', outcome: 'nothing-to-do' });
      expect(faultline(['revert']).out).toContain('nothing to revert');
    }, 120_000);
  }

  it('partition disconnects every network and the revert restores each, with its aliases', () => {
    const id = containerId('target');
    const before = networksOf(id);
    expect(Object.keys(before)).toEqual([`${PROJECT}_back`, `${PROJECT}_front`]);
    expect(before[`${PROJECT}_back`]).toEqual(expect.arrayContaining(['db-client', 'target', 'target-back']));
    expect(before[`${PROJECT}_front`]).toEqual(expect.arrayContaining(['target', 'target-front']));
    const injected = faultline(['chaos', 'partition', 'target', '--docker', PROJECT]);
    expect(injected.code, injected.err).toBe(0);
    expect(networksOf(id)).toEqual({});
    const revert = faultline(['revert']);
    expect(revert.code, revert.err).toBe(0);
    expect(networksOf(id)).toEqual(before);
    // Reconnected by alias: the bystander resolves the target by its alias on the shared network.
    const bystander = containerId('bystander');
    const lookup = sh('docker', [
      'exec',
      bystander,
      'node',
      '-e',
      "require('dns').lookup('target-front', (e, a) => console.log(e ? e.code : 'ok'))",
    ]);
    expect(lookup.trim()).toBe('ok');
  }, 120_000);

  it('a container that is not an opted-in target of the project is not touched by a revert', () => {
    const bystander = containerId('bystander');
    const target = containerId('target');
    sh('docker', ['pause', bystander, target]);
    const at = new Date().toISOString();
    // As if the ledger named them: the bystander never carried the label; the target is of another project now.
    const lines = [
      { id: 'a', container: bystander, project: PROJECT },
      { id: 'b', container: target, project: 'someone-else' },
    ].flatMap(({ id, container, project }) => [
      {
        type: 'planned',
        id,
        at,
        pid: 1,
        fault: 'pause',
        target: id,
        params: {},
        description: `pause ${id}`,
        revert: { kind: 'docker', action: 'unpause', container, project },
      },
      { type: 'applied', id, at },
    ]);
    writeFileSync(ledger, lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { mode: 0o600 });
    const revert = faultline(['revert']);
    expect(revert.code).toBe(1);
    expect(revert.err).toContain(`to unpause it: it no longer carries faultline.target=true`);
    expect(revert.err).toContain(`to unpause it: it belongs to project ${PROJECT}, not someone-else`);
    expect(revert.err).toContain('[FL_REVERT_FAILED]');
    expect(inspect(bystander).State.Paused).toBe(true);
    expect(inspect(target).State.Paused).toBe(true);
    sh('docker', ['unpause', bystander, target]);
  }, 120_000);
});
