import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.ts';

describe('SseParser', () => {
  const stream =
    'retry: 1000\n\n: comment\nid: 7\nevent: failback\ndata: {"a":1}\n\nid: 8\r\ndata: x\r\ndata: y\r\n\r\n';

  it('parses whole input', () => {
    const p = new SseParser();
    expect(p.push(stream)).toEqual([
      { id: '7', event: 'failback', data: '{"a":1}' },
      { id: '8', event: 'message', data: 'x\ny' },
    ]);
    expect(p.retryMs).toBe(1000);
    expect(p.lastEventId).toBe('8');
  });

  it('gives the same messages however the input is split, CRLF included', () => {
    const whole = new SseParser().push(stream);
    for (let size = 1; size < 12; size++) {
      const p = new SseParser();
      const out = [];
      for (let i = 0; i < stream.length; i += size) out.push(...p.push(stream.slice(i, i + size)));
      expect(out, `chunks of ${size}`).toEqual(whole);
    }
  });

  it('ignores messages without data', () => {
    expect(new SseParser().push('event: x\n\nid: 3\n\n')).toEqual([]);
  });
});
