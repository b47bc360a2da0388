import { afterEach, describe, expect, it } from 'vitest';
import { degradedReason } from '../../drills/schedule/outage.ts';
import { Stack } from '../fixtures/stack.ts';
import { deadUrl } from '../fixtures/webhook-receiver.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("the scheduler's outage check (a real local stack)", () => {
  it('is quiet on a whole pool, and names the server when a primary is down, then the failover to the standby', async () => {
    stack = await Stack.start({
      backends: [{ name: 'app1' }, { name: 'app2' }, { name: 'app3', backup: true }],
    });
    const s = stack;
    const check = { admin: s.local.adminUrl };
    expect(await degradedReason(check)).toBeUndefined();

    await s.backend('app2').kill();
    await s.waitFor((e) => e.kind === 'server-down' && e.server === 'app2', 5000);
    expect(await degradedReason(check)).toMatch(/^degraded already: web\/app2 is down/);

    await s.backend('app1').kill();
    await s.waitFor((e) => e.kind === 'server-down' && e.server === 'app1', 5000);
    const both = await degradedReason(check);
    expect(both).toContain('pool web has failed over to its backup servers');
    expect(both).toContain('web/app1 is down');
  });

  it('a server an operator drained counts as degraded; an admin API nobody answers too', async () => {
    stack = await Stack.start({ backends: [{ name: 'app1' }, { name: 'app2' }] });
    await stack.admin.drain('web', 'app1');
    expect(await degradedReason({ admin: stack.local.adminUrl })).toContain('web/app1 is draining');
    const dead = await deadUrl();
    expect(await degradedReason({ admin: dead.replace(/\/hook$/, '') })).toMatch(
      /^outage check: the admin API at .* did not answer/,
    );
    expect(
      await degradedReason({ admin: stack.local.adminUrl, tokenEnv: 'FAULTLINE_NO_SUCH_TOKEN' }, {}),
    ).toBe('outage check: $FAULTLINE_NO_SUCH_TOKEN (the admin token) is not set');
  });
});
