import type { Front } from './front.ts';

/** No proxy: the load goes straight to the first primary (the ceiling of what a front can add). */
export const direct: Front = {
  name: 'direct',
  unavailable: () => undefined,
  async start(pool) {
    const first = pool.servers.find((s) => !s.backup);
    if (!first) throw new Error('the bench pool has no primary');
    return { url: `http://127.0.0.1:${first.port}`, pid: 0, stop: async () => {} };
  },
};
