import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseRequestTarget } from './request-target.ts';

/** What http-proxy-3 (and the WHATWG URL parser) would make of a path. */
const whatwg = (path: string) => {
  const url = new URL(`http://base.invalid${path}`);
  return `${url.pathname}${url.search}`;
};

const pathChars = fc.constantFrom(
  ...'/./../a/b/%2e/%2E/%41/%2f/%5c/%zz/%/\\/?#&=;:@!$\'()*+,~-_ "<>`{}|^[]é%C3%A9'.split(''),
  '/..',
  '/.',
  '%2e%2e',
  '//',
  '%25',
);

describe('normaliseRequestTarget', () => {
  it('is idempotent and a fixed point of the WHATWG parser, for any path', () => {
    fc.assert(
      fc.property(fc.array(pathChars, { maxLength: 30 }), (parts) => {
        const result = normaliseRequestTarget(`/${parts.join('')}`);
        if (!result.ok) return;
        const path = result.path.split('?')[0] as string;
        expect(normaliseRequestTarget(result.path)).toEqual(result);
        expect(whatwg(path)).toBe(path);
        expect(path.startsWith('/')).toBe(true);
        expect(path).not.toMatch(/\/\.\.?(\/|$)|\/\//);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the query as sent', () => {
    expect(normaliseRequestTarget('/a/../b?x=/../%2f&y=\\')).toEqual({
      ok: true,
      path: '/b?x=/../%2f&y=\\',
      host: undefined,
    });
  });
});
