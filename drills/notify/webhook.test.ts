import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deadUrl, startWebhookReceiver, type WebhookReceiver } from '../../test/fixtures/webhook-receiver.ts';
import { recordAndNotify } from '../history/after-run.ts';
import { openHistoryDb } from '../history/history-db.ts';
import { sampleJournal } from '../reports/sample-journal.ts';
import { deliver, summaryOf, type WebhookTarget } from './webhook.ts';

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

function target(url: string, more: Partial<WebhookTarget> = {}): WebhookTarget {
  return { url, format: 'json', on: ['breach', 'error', 'recovery'], timeoutMs: 2000, retries: 1, ...more };
}

function breached() {
  const j = sampleJournal();
  j.deviated = true;
  j.sla = j.sla.map((s, i) =>
    i === 0 ? { ...s, verdict: 'failed' as const, detail: `${s.source}: over the limit` } : s,
  );
  return j;
}

describe('webhook notifications', () => {
  it('a breach POSTs the summary: drill, status, failing SLAs with values, report path', async () => {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const db = openHistoryDb(join(mkdtempSync(join(tmpdir(), 'faultline-notify-')), 'history.sqlite'));
    const journal = breached();
    const { run, deliveries } = await recordAndNotify(db, journal, { reportDir: '/srv/reports/r1' }, [
      target(receiver.url),
    ]);
    expect(deliveries).toEqual([{ url: receiver.url, event: 'breach', outcome: 'delivered', attempts: 1 }]);
    const [got] = receiver.received;
    expect(got?.contentType).toBe('application/json');
    const failing = journal.sla.filter((s) => s.verdict === 'failed');
    expect(failing.length).toBeGreaterThan(0);
    expect(got?.body).toMatchObject({
      event: 'breach',
      drill: journal.drill.name,
      status: 'breached',
      runId: run.runId,
      report: '/srv/reports/r1/report.html',
      failing: failing.map((s) => ({
        sla: s.source,
        value: s.value,
        limit: s.limit,
        unit: s.unit,
        detail: s.detail,
      })),
    });
    const rows = db.prepare('SELECT url, event, outcome, attempts FROM notifications').all();
    expect(rows).toEqual([{ url: receiver.url, event: 'breach', outcome: 'delivered', attempts: 1 }]);

    // The next run passes: a recovery; the one after, nothing.
    const passing = sampleJournal();
    passing.runId = 'next';
    passing.deviated = false;
    passing.sla = passing.sla.map((s) => ({ ...s, verdict: 'passed' as const }));
    expect((await recordAndNotify(db, passing, {}, [target(receiver.url)])).deliveries[0]?.event).toBe(
      'recovery',
    );
    passing.runId = 'after';
    expect((await recordAndNotify(db, passing, {}, [target(receiver.url)])).deliveries).toEqual([]);
    expect(receiver.received.map((r) => (r.body as { event: string }).event)).toEqual(['breach', 'recovery']);
    db.close();
  });

  it('retries a failing webhook, and a dead one is a failed delivery, recorded, never an exception', async () => {
    const flaky = await startWebhookReceiver({ failFirst: 1 });
    receivers.push(flaky);
    const dead = await deadUrl();
    const db = openHistoryDb(join(mkdtempSync(join(tmpdir(), 'faultline-notify-')), 'history.sqlite'));
    const { deliveries } = await recordAndNotify(db, breached(), {}, [
      target(flaky.url),
      target(dead, { retries: 2 }),
    ]);
    expect(deliveries).toEqual([
      { url: flaky.url, event: 'breach', outcome: 'delivered', attempts: 2 },
      { url: dead, event: 'breach', outcome: 'failed', attempts: 3, error: 'ECONNREFUSED' },
    ]);
    const rows = db.prepare('SELECT outcome, error FROM notifications ORDER BY id').all();
    expect(rows).toEqual([
      { outcome: 'delivered', error: null },
      { outcome: 'failed', error: 'ECONNREFUSED' },
    ]);
    db.close();
  });

  it('a webhook that never answers times out', async () => {
    const http = await import('node:http');
    const server = http.createServer(() => {}); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const db = openHistoryDb(join(mkdtempSync(join(tmpdir(), 'faultline-notify-')), 'history.sqlite'));
    const started = Date.now();
    const { deliveries } = await recordAndNotify(db, breached(), {}, [
      target(url, { timeoutMs: 300, retries: 0 }),
    ]);
    expect(deliveries[0]).toMatchObject({ outcome: 'failed', error: 'no answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(5000);
    server.closeAllConnections();
    server.close();
    db.close();
  });

  it('the Slack format is an incoming-webhook message, and targets get only the events they want', async () => {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const db = openHistoryDb(join(mkdtempSync(join(tmpdir(), 'faultline-notify-')), 'history.sqlite'));
    const { run } = await recordAndNotify(db, breached(), { job: 'nightly' }, []);
    const summary = summaryOf(run, 'breach');
    const deliveries = await deliver(
      [target(receiver.url, { format: 'slack' }), target(receiver.url, { on: ['recovery'] })],
      summary,
    );
    expect(deliveries).toHaveLength(1);
    const body = receiver.received[0]?.body as { text: string };
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain(
      `:rotating_light: faultline drill *${run.name}* breached (job nightly) on local`,
    );
    expect(body.text).toContain('over the limit');
    db.close();
  });
});
