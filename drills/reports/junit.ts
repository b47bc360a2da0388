import type { ActionRecord, Journal } from '../journal/types.ts';
import type { SlaResult } from '../sla/types.ts';

export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
  );
}

function testcase(classname: string, name: string, r: SlaResult): string {
  const seconds = r.window.end > r.window.start ? ((r.window.end - r.window.start) / 1000).toFixed(3) : '0';
  const open = `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(name)}" time="${seconds}"`;
  if (r.verdict === 'passed') return `${open}/>`;
  const body =
    r.verdict === 'failed'
      ? `      <failure message="${escapeXml(r.detail)}" type="sla-breach">${escapeXml(r.detail)}</failure>`
      : `      <skipped message="${escapeXml(`inconclusive: ${r.detail}`)}"/>`;
  return `${open}>\n${body}\n    </testcase>`;
}

/** A runbook step: passed, failed at a line (a failure), or never run (skipped). */
function stepCase(classname: string, a: ActionRecord): string {
  const seconds = ((a.endedAt - a.startedAt) / 1000).toFixed(3);
  const open = `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(`step ${a.name} (line ${a.line ?? '?'})`)}" time="${seconds}"`;
  if (a.status === 'ok') return `${open}/>`;
  const why = a.error ?? a.status;
  const body =
    a.status === 'failed'
      ? `      <failure message="${escapeXml(why)}" type="${escapeXml(a.failure ?? 'step-failed')}">${escapeXml(`${why}${a.output ? `\n${a.output}` : ''}`)}</failure>`
      : `      <skipped message="${escapeXml(why)}"/>`;
  return `${open}>\n${body}\n    </testcase>`;
}

/**
 * JUnit XML: one testcase per SLA and steady-state threshold, for CI test reports; for a
 * runbook, one per step too, and the RTO is one of the SLAs.
 */
export function renderJunit(journal: Journal): string {
  const classname = journal.runbook
    ? `faultline.runbook.${journal.runbook.name}`
    : `faultline.${journal.drill.name}`;
  const steps = journal.actions.filter((a) => a.kind === 'runbook');
  const cases = [
    ...journal.steadyState.before.map((r) => testcase(classname, `steady state before: ${r.source}`, r)),
    ...steps.map((a) => stepCase(classname, a)),
    ...journal.sla.map((r) => testcase(classname, r.source, r)),
    ...journal.steadyState.after.map((r) => testcase(classname, `steady state after: ${r.source}`, r)),
  ];
  let errors = 0;
  if (journal.status !== 'completed') {
    errors = 1;
    const reason = journal.reason ?? journal.status;
    cases.push(
      `    <testcase classname="${escapeXml(classname)}" name="run" time="0">\n      <error message="${escapeXml(`${journal.status}: ${reason}`)}" type="${journal.status}">${escapeXml(reason)}</error>\n    </testcase>`,
    );
  }
  const all = [...journal.steadyState.before, ...journal.sla, ...journal.steadyState.after];
  const failures =
    all.filter((r) => r.verdict === 'failed').length + steps.filter((a) => a.status === 'failed').length;
  const skipped =
    all.filter((r) => r.verdict === 'inconclusive').length +
    steps.filter((a) => a.status === 'skipped').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="faultline" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">`,
    `  <testsuite name="${escapeXml(classname)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(journal.durationMs / 1000).toFixed(3)}" timestamp="${escapeXml(journal.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
