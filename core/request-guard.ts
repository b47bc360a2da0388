import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Who may drive a control plane over HTTP (the balancer's admin API, the toxic proxy's control
 * API). Both can take backends out, so no web page may reach them: not by a cross-site request
 * (CSRF), not by pointing a name it controls at 127.0.0.1 (DNS rebinding).
 *
 * - A request carrying an `Origin` header is refused, token or not: browsers send it on every
 *   cross-origin and every state-changing request; command-line clients never do.
 * - Without a token, the `Host` must name a loopback address: a rebound name shows up here.
 *   With a token, the token proves the caller, so any Host is fine (a container reaching the
 *   API by service name, Prometheus scraping from another host).
 * - State-changing methods need `Content-Type: application/json`, which a plain HTML form cannot
 *   send and which a cross-origin script cannot send without a CORS preflight (never answered).
 */
export interface CallerRefusal {
  status: 403 | 415;
  code: 'origin_refused' | 'host_refused' | 'unsupported_media_type';
  message: string;
}

/** Methods that read only; every other method changes state and must send JSON. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The host part of a `Host` header: `127.0.0.1:9090` → `127.0.0.1`, `[::1]:9090` → `::1`. */
export function hostOfHostHeader(header: string): string {
  const value = header.trim();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(value);
  if (bracketed) return bracketed[1] as string;
  const colons = value.split(':').length - 1;
  return colons === 1 ? value.slice(0, value.indexOf(':')) : value;
}

/** The Origin and Host rules; undefined when the caller may go on (to the token check, if any). */
export function refuseCaller(
  req: IncomingMessage,
  api: string,
  tokenConfigured: boolean,
): CallerRefusal | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    return {
      status: 403,
      code: 'origin_refused',
      message:
        `the ${api} refuses requests that carry an Origin header (got ${JSON.stringify(origin)}): ` +
        'web pages may not drive it. Call it from a command-line client or program, which sends no Origin.',
    };
  }
  if (tokenConfigured) return undefined;
  const host = req.headers.host ?? '';
  if (!isLoopbackHost(hostOfHostHeader(host))) {
    return {
      status: 403,
      code: 'host_refused',
      message:
        `the ${api} has no token, so it answers only requests addressed to a loopback host ` +
        `(127.0.0.1, [::1] or localhost); got Host ${JSON.stringify(host)}. ` +
        'Address it as 127.0.0.1, or configure a token to allow other names.',
    };
  }
  return undefined;
}

/**
 * The content-type rule for state-changing methods (an empty body with the JSON type is fine).
 * `untypedOk`: a request with no Content-Type at all passes too (the toxic proxy, whose Toxiproxy
 * clients send none on bodyless calls); any other type is still refused, so no form or
 * preflight-free fetch gets through, and browsers are refused by Origin anyway.
 */
export function refuseContentType(
  req: IncomingMessage,
  path: string,
  options: { untypedOk?: boolean } = {},
): CallerRefusal | undefined {
  const method = req.method ?? 'GET';
  if (READ_METHODS.has(method)) return undefined;
  const type = req.headers['content-type'];
  if (type === undefined ? options.untypedOk : JSON_TYPE.test(type)) return undefined;
  return {
    status: 415,
    code: 'unsupported_media_type',
    message:
      `${method} ${path} changes state and needs Content-Type: application/json ` +
      `(got ${type === undefined ? 'none' : JSON.stringify(type)})` +
      (options.untypedOk ? ', or none' : '; an empty body is fine'),
  };
}
