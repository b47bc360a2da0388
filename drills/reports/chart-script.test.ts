import { describe, expect, it } from 'vitest';
import { compileTimelineChart, timelineChartScript } from './chart-script.ts';

describe('timelineChartScript', () => {
  it('is one classic script: no module syntax, nothing that could close its <script> element', () => {
    const script = timelineChartScript();
    expect(script).toMatch(/^"use strict";\n\(\(\) => \{\n/);
    expect(script.trimEnd().endsWith('})();')).toBe(true);
    expect(script).not.toMatch(/^\s*(import|export)\b/m);
    expect(script).not.toMatch(/<\/script/i);
    expect(script).toContain('drawTimeline(timelineSvg(), readEmbeddedJournal());');
  });

  it('compiles once, the same text at every compilation', () => {
    expect(timelineChartScript()).toBe(timelineChartScript());
    expect(compileTimelineChart()).toBe(timelineChartScript());
  });
});
