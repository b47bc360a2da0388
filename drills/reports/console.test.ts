import { describe, expect, it } from 'vitest';
import { renderProgress, renderSummary } from './console.ts';
import { sampleJournal } from './sample-journal.ts';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI_ESCAPE = /\u001b\[/;

describe('renderSummary', () => {
  it('shows the status, every SLA with its mark, window, value and limit', () => {
    const text = renderSummary(sampleJournal());
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/primary-crash: SLA BREACHED in 14\.1s \(2\/4 SLAs met\)/);
    const row = (source: string) => lines.find((l) => l.includes(` ${source} `)) ?? '';
    expect(row('detection<1.5s for crash')).toMatch(
      /^ {2}✔ detection<1\.5s for crash +crash +310ms +<1500ms$/,
    );
    expect(row('errors==0 during crash')).toMatch(/^ {2}✘ errors==0 during crash +crash +57 +==0$/);
    expect(row('failover<2s for crash')).toMatch(/^ {2}\? failover<2s for crash +crash +— +<2000ms$/);
    expect(row('served_by(app1)>0 after restart-app1')).toMatch(/^ {2}✔ /);
    expect(text).toContain('steady before: p(99)<100ms');
    expect(text).toContain('steady after: error_rate<0.1%');
    expect(text).toContain('✘ errors 57 == 0 failed by 57');
    expect(text).not.toMatch(ANSI_ESCAPE);
  });

  it('lines the SLA columns up', () => {
    const lines = renderSummary(sampleJournal()).split('\n');
    const slaLines = lines.filter((l) => /^ {2}[✔✘?] /.test(l));
    const windowColumn = slaLines.map((l) => l.search(/ {2}(before|after|crash|after restart-app1) /));
    expect(new Set(windowColumn).size).toBe(1);
  });

  it('says when requests.jsonl lacks records, and stays quiet when it is whole', () => {
    const whole = { ...sampleJournal(), requestLog: { file: 'requests.jsonl', written: 900, dropped: 0 } };
    expect(renderSummary(whole)).not.toContain('requests.jsonl');
    const short = { ...sampleJournal(), requestLog: { file: 'requests.jsonl', written: 900, dropped: 100 } };
    expect(renderSummary(short)).toContain(
      'requests.jsonl incomplete: 100 of 1000 records not written (the disk fell behind); SLAs counted them all',
    );
  });

  it('totals requests, errors, p50/p99 and served-by shares', () => {
    const journal = sampleJournal();
    const text = renderSummary(journal);
    const { sent, errors } = journal.load;
    expect(text).toContain(`${sent} requests`);
    expect(text).toContain(`${errors} failed`);
    expect(text).toMatch(/p50 6\.8ms p99 41\.7ms/);
    expect(text).toMatch(/served by app1 \d+\.\d%, app2 \d+\.\d%, app3 \d+\.\d%/);
  });

  it('gives the reason when the run did not complete', () => {
    const journal = { ...sampleJournal(), status: 'aborted' as const, reason: 'steady state before failed' };
    const text = renderSummary(journal);
    expect(text.split('\n')[0]).toContain('ABORTED');
    expect(text).toContain('reason: steady state before failed');
  });

  it('colours only when asked', () => {
    expect(renderSummary(sampleJournal(), { color: true })).toMatch(ANSI_ESCAPE);
    expect(renderSummary(sampleJournal(), { color: false })).not.toMatch(ANSI_ESCAPE);
  });

  it('warns when a revert failed', () => {
    const journal = sampleJournal();
    journal.reverts = [{ description: 'resume app2', outcome: 'failed', error: 'ESRCH', at: 0 }];
    expect(renderSummary(journal)).toContain('REVERT FAILED: resume app2: ESRCH');
  });
});

describe('renderProgress', () => {
  it('renders one line with elapsed time, phase, rps, errors, p99 and the action', () => {
    const line = renderProgress({
      elapsedMs: 12_400,
      phase: 'method',
      rps: 198.4,
      errors: 0,
      p99: 12.34,
      action: 'crash',
    });
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^ +12\.4s {2}method +198 rps {2}errors 0 {2}p99 12\.3ms {2}▶ crash$/);
  });

  it('leaves the action out when none runs', () => {
    const line = renderProgress({ elapsedMs: 800, phase: 'before', rps: 0, errors: 3, p99: 0 });
    expect(line).toMatch(/0\.8s {2}before +0 rps {2}errors 3 {2}p99 0\.0ms$/);
  });
});
