import { describe, expect, it } from 'vitest';
import { haproxyStateEvent } from './haproxy.ts';
import { nginxDisabledEvent } from './nginx.ts';

describe("the peers' own word on a server leaving rotation", () => {
  it('reads HAProxy state changes', () => {
    const down =
      '[WARNING]  (4711) : Server pool/app1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 1 active and 1 backup servers left.';
    expect(haproxyStateEvent(down, 5)).toEqual({ kind: 'server-down', server: 'app1', at: 5 });
    expect(
      haproxyStateEvent('[WARNING]  (4711) : Server pool/app2 is UP, reason: Layer7 check passed', 6),
    ).toEqual({ kind: 'server-up', server: 'app2', at: 6 });
    expect(haproxyStateEvent('[NOTICE]   (4711) : haproxy version is 2.6', 7)).toBeUndefined();
  });

  it('reads nginx "temporarily disabled" lines and names the server by its port', () => {
    const ports = new Map([[41234, 'app1']]);
    const line =
      '2026/12/03 01:02:03 [warn] 99#99: *45 upstream server temporarily disabled while connecting to upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:41234/", host: "127.0.0.1:8080"';
    expect(nginxDisabledEvent(line, 9, ports)).toEqual({ kind: 'server-down', server: 'app1', at: 9 });
    expect(nginxDisabledEvent(line.replace('41234', '41235'), 9, ports)).toBeUndefined();
    expect(
      nginxDisabledEvent(line.replace('temporarily disabled', 'connect() failed'), 9, ports),
    ).toBeUndefined();
  });
});
