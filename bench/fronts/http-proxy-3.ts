import { fileURLToPath } from 'node:url';
import { type Front, scratchDir, spawnFront } from './front.ts';

const LOOP = fileURLToPath(new URL('./http-proxy-3-loop.mjs', import.meta.url));

export const httpProxy3: Front = {
  name: 'http-proxy-3',
  unavailable: () => undefined,
  async start(pool, port) {
    const dir = scratchDir('http-proxy-3');
    const urls = pool.servers.filter((s) => !s.backup).map((s) => `http://127.0.0.1:${s.port}`);
    return spawnFront('http-proxy-3', process.execPath, [LOOP, String(port), ...urls], port, dir);
  },
};
