import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import packaged from '@sparticuz/chromium';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal } from '../journal/types.ts';
import { renderHtml } from './html.ts';
import { sampleJournal } from './sample-journal.ts';
import { writeReports } from './write.ts';

/**
 * The browser: FAULTLINE_CHROMIUM when set, else the Chromium that @sparticuz/chromium ships in
 * its npm package (unpacked to the temp folder at first use), so `npm test` needs nothing
 * installed by hand.
 */
async function findChromium(): Promise<{ executablePath: string; args: string[] }> {
  const own = process.env.FAULTLINE_CHROMIUM;
  if (own) {
    if (!existsSync(own)) throw new Error(`FAULTLINE_CHROMIUM=${own}: no such file`);
    // Chromium refuses to start its sandbox as root (CI containers).
    return { executablePath: own, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] };
  }
  // Its Lambda flags minus those that would change what the test sees: one process for every
  // page (a second page crashes it), web security off, and headless mode (Playwright sets it).
  const unwanted = /^--(single-process|disable-web-security|allow-running-insecure-content|headless)/;
  return {
    executablePath: await packaged.executablePath(),
    args: packaged.args.filter((a) => !unwanted.test(a)),
  };
}

interface OpenedReport {
  page: Page;
  /** Console errors, page errors and requests to anything but file: or data: URLs. */
  problems: string[];
}

let browser: Browser;
let dir: string;

async function openReport(file: string): Promise<OpenedReport> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!/^(file|data):/.test(r.url())) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems };
}

beforeAll(async () => {
  const { executablePath, args } = await findChromium();
  browser = await chromium.launch({ executablePath, args, headless: true });
  dir = await mkdtemp(join(tmpdir(), 'faultline-report-'));
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('renderHtml in headless Chromium', () => {
  it('draws the timeline, the markers and the tables of the sample run, offline and without errors', async () => {
    const journal = sampleJournal();
    const { files } = await writeReports(journal, join(dir, 'sample'));
    const file = files.find((f) => f.endsWith('report.html'));
    if (!file) throw new Error('writeReports wrote no report.html');
    const { page, problems } = await openReport(file);

    const svg = page.locator('svg#timeline[data-drawn="true"]');
    await svg.waitFor({ timeout: 5000 });
    const seriesCount = Number(await svg.getAttribute('data-series'));
    // rps, errors/s, p99 and one share line per server (app1..app3)
    expect(seriesCount).toBe(6);

    const series = await page.$$eval('svg#timeline path.series', (paths) =>
      paths.map((p) => {
        const box = (p as SVGGraphicsElement).getBBox();
        return {
          name: p.getAttribute('data-name'),
          d: p.getAttribute('d') ?? '',
          w: box.width,
          h: box.height,
        };
      }),
    );
    expect(series).toHaveLength(seriesCount);
    for (const s of series) {
      expect(s.d, `series ${s.name}`).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){49}$/);
      expect(s.w, `width of ${s.name}`).toBeGreaterThan(0);
      expect(s.h, `height of ${s.name}`).toBeGreaterThan(0);
    }
    expect(series.map((s) => s.name)).toEqual([
      'rps',
      'errors/s',
      'p99',
      'share app1',
      'share app2',
      'share app3',
    ]);

    const actions = page.locator('svg#timeline g.action-marker');
    expect(await actions.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-name')))).toEqual([
      'crash',
      'restart-app1',
    ]);
    for (const name of ['crash', 'restart-app1']) {
      const marker = page.locator(`svg#timeline g.action-marker[data-name="${name}"]`);
      expect(await marker.locator('text').first().textContent()).toBe(name);
      const box = await marker.locator('line').first().boundingBox();
      expect(box?.height ?? 0).toBeGreaterThan(100);
    }

    const events = await page.$$eval('svg#timeline g.event-marker', (gs) =>
      gs.map((g) => ({
        kind: g.getAttribute('data-kind'),
        title: g.querySelector('title')?.textContent ?? '',
      })),
    );
    // ejection-ended is not a marker kind
    expect(events.map((e) => e.kind)).toEqual(['ejected', 'server-down', 'server-up']);
    expect(events[1]?.title).toBe('4.62s server-down app1: GET /health: ECONNREFUSED (2 of 2)');

    expect(await page.locator('svg#timeline rect.phase').count()).toBe(9);
    expect(await page.locator('#slas tbody tr').count()).toBe(4);
    expect(await page.locator('#slas tbody tr td.verdict').allTextContents()).toEqual([
      'passed',
      'failed',
      'inconclusive',
      'passed',
    ]);
    const failedColour = await page
      .locator('#slas td.verdict.failed')
      .evaluate((td) => getComputedStyle(td).color);
    expect(failedColour).toBe('rgb(185, 28, 28)');
    expect(await page.locator('#steady-state tbody tr').count()).toBe(4);
    expect(await page.locator('#actions tbody tr').count()).toBe(2);
    const summary = (await page.locator('#summary').textContent()) ?? '';
    expect(summary).toContain('primary-crash');
    expect(summary).toMatch(/deviated\s*yes/);
    expect(summary).toMatch(/duration\s*14\.1 s/);
    expect(summary).toMatch(/stack\s*local/);

    expect(problems).toEqual([]);
    await page.close();
  });

  it('keeps </script> in journal strings from breaking out, and marks reverts', async () => {
    const journal: Journal = sampleJournal();
    const breakout = '</script><script>document.title="pwned"</script><!--';
    journal.status = 'failed';
    journal.reason = `shell step failed: ${breakout}`;
    journal.drill.description = breakout;
    const [crash] = journal.actions;
    if (!crash) throw new Error('fixture has actions');
    crash.name = `slow ${breakout}`;
    crash.revertedAt = crash.startedAt + 2500;
    const file = join(dir, 'breakout.html');
    await writeFile(file, renderHtml(journal));
    const { page, problems } = await openReport(file);

    await page.locator('svg#timeline[data-drawn="true"]').waitFor({ timeout: 5000 });
    expect(await page.title()).not.toBe('pwned');
    expect(await page.locator('script').count()).toBe(2);
    const embedded = await page.locator('#journal').textContent();
    expect((JSON.parse(embedded ?? '') as Journal).reason).toBe(journal.reason);
    const marker = page.locator('svg#timeline g.action-marker').first();
    expect(await marker.locator('text').allTextContents()).toEqual([crash.name, `${crash.name} reverted`]);
    expect(await marker.locator('line').count()).toBe(2);
    expect(await page.locator('#summary').textContent()).toContain(journal.reason);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('links the previous runs of the same drill, with their SLA values, and the link opens the report', async () => {
    const older = sampleJournal();
    older.runId = 'older-run';
    await writeReports(older, join(dir, 'older-run'));
    const journal = sampleJournal();
    const [sla] = journal.sla;
    if (!sla) throw new Error('fixture has SLAs');
    const reportDir = join(dir, 'newer-run');
    await writeReports(journal, reportDir, {
      previous: [
        {
          runId: 'older-run',
          startedAt: Date.UTC(2026, 0, 2),
          status: 'breached',
          href: '../older-run/report.html',
          values: { [sla.source]: 42 },
        },
      ],
    });
    const { page, problems } = await openReport(join(reportDir, 'report.html'));
    const row = page.locator('#previous-runs tr.previous-run');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').nth(2).textContent()).toBe('breached');
    expect(await row.locator('td').nth(3).textContent()).toContain('42');
    await row.locator('a').click();
    await page.waitForURL(/older-run\/report\.html$/);
    expect(await page.locator('#summary').textContent()).toContain(older.runId);
    expect(problems).toEqual([]);
    await page.close();
  });
});
