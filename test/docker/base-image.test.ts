/**
 * Where no registry is reachable, `--target compose` builds the offline Node base itself. On the
 * real engine: a base name that cannot exist stands for "cannot be pulled", and the offline base
 * gets a name of its own so the build really runs.
 */
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { afterAll, expect, it } from 'vitest';
import { chooseNodeImage, dockerImageEngine } from '../../stack/compose/base-image.ts';

const docker = new Docker();
const OFFICIAL = `faultline-test/no-such-node-${process.pid}:0`;
const OFFLINE = `faultline-test/node-offline-${process.pid}:20`;
const saved = process.env.FAULTLINE_NODE_IMAGE;

afterAll(async () => {
  if (saved === undefined) delete process.env.FAULTLINE_NODE_IMAGE;
  else process.env.FAULTLINE_NODE_IMAGE = saved;
  await docker
    .getImage(OFFLINE)
    .remove({ force: true })
    .catch(() => {});
});

it('builds the offline base when the official image cannot be pulled, says so in one line, then reuses it', async () => {
  delete process.env.FAULTLINE_NODE_IMAGE;
  const engine = dockerImageEngine(docker);
  expect(await engine.has(OFFLINE)).toBe(false);
  const lines: string[] = [];
  const images = { official: OFFICIAL, offline: OFFLINE };
  expect(await chooseNodeImage(engine, (l) => lines.push(l), images)).toBe(OFFLINE);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    new RegExp(
      `^${OFFICIAL} cannot be pulled \\(.+\\): built the offline base ${OFFLINE} from this machine's node in \\d`,
    ),
  );
  // The image runs this machine's node.
  const version = execFileSync('docker', ['run', '--rm', OFFLINE, 'node', '--version'], { encoding: 'utf8' });
  expect(version.trim()).toBe(process.version);
  // Built once: the next run takes it as it is.
  lines.length = 0;
  expect(await chooseNodeImage(engine, (l) => lines.push(l), images)).toBe(OFFLINE);
  expect(lines).toEqual([expect.stringContaining(`building on the offline base ${OFFLINE}`)]);
});
