import { describe, expect, it } from 'vitest';
import type { Journal } from '../journal/types.ts';
import { escapeXml, renderJunit } from './junit.ts';
import { sampleJournal } from './sample-journal.ts';

interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bare & in ${JSON.stringify(text)}`);
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? '');
}

/** A strict little parser for the XML subset renderJunit writes: throws on anything malformed. */
function parseXml(xml: string): XmlElement {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const root: XmlElement = { name: '#root', attributes: {}, children: [], text: '' };
  const stack = [root];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    const text = body.slice(i, lt < 0 ? body.length : lt);
    const top = stack.at(-1) as XmlElement;
    if (text.trim()) top.text += unescapeXml(text);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(body);
    if (!m) throw new Error(`malformed tag at ${lt}: ${body.slice(lt, lt + 60)}`);
    const [whole, closing, name = '', attrText = '', selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
    } else {
      const attributes: Record<string, string> = {};
      for (const [, key = '', value = ''] of attrText.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        if (key in attributes) throw new Error(`duplicate attribute ${key}`);
        attributes[key] = unescapeXml(value);
      }
      const element: XmlElement = { name, attributes, children: [], text: '' };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
    i = lt + whole.length;
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)?.name}>`);
  const [doc] = root.children;
  if (!doc || root.children.length !== 1) throw new Error('expected one root element');
  return doc;
}

function testcases(journal: Journal): XmlElement[] {
  const doc = parseXml(renderJunit(journal));
  const [suite] = doc.children;
  expect(doc.name).toBe('testsuites');
  expect(suite?.name).toBe('testsuite');
  return suite?.children ?? [];
}

describe('renderJunit', () => {
  it('writes one testsuite with a testcase per SLA and steady-state threshold', () => {
    const journal = sampleJournal();
    const doc = parseXml(renderJunit(journal));
    const [suite] = doc.children;
    expect(doc.children).toHaveLength(1);
    expect(suite?.attributes.name).toBe('faultline.primary-crash');
    const cases = suite?.children ?? [];
    expect(cases.map((c) => c.attributes.name)).toEqual([
      'steady state before: error_rate<0.1%',
      'steady state before: p(99)<100ms',
      'detection<1.5s for crash',
      'errors==0 during crash',
      'failover<2s for crash',
      'served_by(app1)>0 after restart-app1',
      'steady state after: error_rate<0.1%',
      'steady state after: p(99)<100ms',
    ]);
    for (const c of cases) expect(c.attributes.classname).toBe('faultline.primary-crash');
    expect(suite?.attributes).toMatchObject({ tests: '8', failures: '1', skipped: '1', errors: '0' });
    // the crash window is 4s long
    expect(cases[3]?.attributes.time).toBe('4.000');
  });

  it('marks a failed SLA with <failure> and an inconclusive one with <skipped>', () => {
    const cases = testcases(sampleJournal());
    const failed = cases.find((c) => c.attributes.name === 'errors==0 during crash');
    expect(failed?.children).toHaveLength(1);
    expect(failed?.children[0]?.name).toBe('failure');
    expect(failed?.children[0]?.attributes.message).toMatch(/^errors 57 == 0 failed by 57/);
    expect(failed?.children[0]?.text).toMatch(/ECONNREFUSED/);
    const inconclusive = cases.find((c) => c.attributes.name === 'failover<2s for crash');
    expect(inconclusive?.children.map((c) => c.name)).toEqual(['skipped']);
    expect(inconclusive?.children[0]?.attributes.message).toMatch(/^inconclusive: failover never observed/);
    const passed = cases.find((c) => c.attributes.name === 'detection<1.5s for crash');
    expect(passed?.children).toEqual([]);
  });

  it('adds an <error> testcase "run" when the run did not complete', () => {
    for (const status of ['failed', 'aborted', 'interrupted'] as const) {
      const journal = { ...sampleJournal(), status, reason: 'steady state before did not hold: p(99) 140ms' };
      const doc = parseXml(renderJunit(journal));
      const suite = doc.children[0];
      const run = suite?.children.find((c) => c.attributes.name === 'run');
      expect(run?.children[0]?.name).toBe('error');
      expect(run?.children[0]?.attributes.type).toBe(status);
      expect(run?.children[0]?.attributes.message).toContain(journal.reason);
      expect(suite?.attributes.errors).toBe('1');
    }
    expect(testcases(sampleJournal()).some((c) => c.attributes.name === 'run')).toBe(false);
  });

  it('for a runbook: one testcase per step (failed at its line, later ones skipped) and the RTO', () => {
    const journal = sampleJournal();
    const at = journal.clockOrigin + 2000;
    const step = (name: string, status: 'ok' | 'failed' | 'skipped', line: number, error?: string) => ({
      name,
      kind: 'runbook' as const,
      description: `runbooks/primary-down.md:${line} ${name}`,
      targets: [],
      trigger: 'after the previous step',
      startedAt: at,
      endedAt: at + 1500,
      status,
      line,
      ...(error ? { error } : {}),
      ...(status === 'failed' ? { failure: 'output-changed', failedAt: line + 1 } : {}),
    });
    journal.actions = [
      step('confirm-down', 'ok', 19),
      step(
        'start-app1',
        'failed',
        28,
        'runbooks/primary-down.md:29: `x`: output line 1: expected "a", got "b"',
      ),
      step('back', 'skipped', 36, 'an earlier step failed'),
    ];
    journal.runbook = {
      name: 'primary-down',
      file: 'runbooks/primary-down.md',
      title: 'A primary is down',
      rtoMs: 30_000,
      restoredWhen: ['error_rate==0'],
      restoredForMs: 2000,
      injectedAt: at,
      restoredAt: null,
      verdict: 'failed',
    };
    const doc = parseXml(renderJunit(journal));
    const suite = doc.children[0];
    expect(suite?.attributes.name).toBe('faultline.runbook.primary-down');
    const cases = suite?.children ?? [];
    const steps = cases.filter((c) => c.attributes.name?.startsWith('step '));
    expect(steps.map((c) => [c.attributes.name, c.children[0]?.name ?? 'passed'])).toEqual([
      ['step confirm-down (line 19)', 'passed'],
      ['step start-app1 (line 28)', 'failure'],
      ['step back (line 36)', 'skipped'],
    ]);
    expect(steps[1]?.children[0]?.attributes).toMatchObject({ type: 'output-changed' });
    expect(steps[1]?.children[0]?.attributes.message).toContain('runbooks/primary-down.md:29');
    expect(steps[0]?.attributes.time).toBe('1.500');
    expect(suite?.attributes).toMatchObject({ tests: '11', failures: '2', skipped: '2' });
  });

  it('escapes <, &, ", \' in names, messages and texts so the XML stays well-formed', () => {
    const tricky = `p(99)<250ms & "quoted" 'single' </testcase><x>`;
    const journal = sampleJournal();
    journal.drill.name = `a<b & "c" 'd'`;
    const [first] = journal.sla;
    if (!first) throw new Error('fixture has SLAs');
    journal.sla = [{ ...first, source: tricky, verdict: 'failed', detail: `${tricky} ]]> \u0001` }];
    journal.steadyState = { before: [], after: [] };
    journal.status = 'aborted';
    journal.reason = tricky;
    const xml = renderJunit(journal);
    const doc = parseXml(xml);
    const suite = doc.children[0];
    expect(suite?.attributes.name).toBe(`faultline.a<b & "c" 'd'`);
    const [sla, run] = suite?.children ?? [];
    expect(sla?.attributes.name).toBe(tricky);
    expect(sla?.attributes.classname).toBe(`faultline.a<b & "c" 'd'`);
    // the control character is not allowed in XML 1.0 and is dropped
    expect(sla?.children[0]?.text).toBe(`${tricky} ]]> `);
    expect(run?.children[0]?.text).toBe(tricky);
    expect(xml).not.toContain('\u0001');
  });

  it('escapeXml covers the five predefined entities', () => {
    expect(escapeXml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
  });
});
