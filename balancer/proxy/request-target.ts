/**
 * The one path a request is routed by and forwarded with. Backends and http-proxy-3 (which
 * re-parses the target with the WHATWG URL parser) must never see a different path than the
 * router did, or `/open/../internal` reaches a pool no route sent it to. So the target is
 * normalised once, here, and the result is both routed and forwarded verbatim:
 *
 * - absolute-form `http://host/p` becomes `/p` with Host set from the target (RFC 9112 §3.2.2);
 *   any other form (`*`, `https://…`, `host:port`) is refused;
 * - %-escapes of unreserved characters are decoded (`%41` → `A`, `%2e` → `.`), the others are
 *   kept with upper-case hex; characters that are not allowed in a path are %-escaped;
 * - `%2F`, `%5C` (escaped slash and backslash), `%00`, a raw backslash and a broken escape are
 *   refused: backends disagree on what they mean;
 * - runs of slashes are merged (`//a///b` → `/a/b`, as nginx's `merge_slashes on`);
 * - dot segments are removed (RFC 3986 §5.2.4); `..` never climbs above `/`.
 *
 * The query is kept byte for byte. A fragment is refused (a client never sends one).
 */
export type RequestTarget =
  | { ok: true; path: string; host: string | undefined }
  | { ok: false; reason: string };

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/** pchar minus pct-encoded, plus "/": what may stay as it is in a path (RFC 3986 §3.3). */
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/;
const HEX = /^[0-9A-Fa-f]{2}$/;
const REFUSED_ESCAPES: Record<string, string> = {
  '2F': 'an escaped slash (%2F)',
  '5C': 'an escaped backslash (%5C)',
  '00': 'an escaped NUL (%00)',
};

const refuse = (reason: string): RequestTarget => ({ ok: false, reason });

export function normaliseRequestTarget(url: string | undefined): RequestTarget {
  let target = url ?? '';
  let host: string | undefined;
  if (!target.startsWith('/')) {
    const absolute = /^http:\/\/([^/?#]*)(.*)$/is.exec(target);
    if (!absolute) return refuse('the request target must be a path or an http:// URL');
    host = absolute[1] ?? '';
    if (host === '' || host.includes('@'))
      return refuse('an absolute-form target needs a host and no user info');
    target = absolute[2] ?? '';
    if (!target.startsWith('/')) target = `/${target}`;
  }
  if (target.includes('#')) return refuse('a request target must not carry a fragment');
  const q = target.indexOf('?');
  const path = normalisePath(q === -1 ? target : target.slice(0, q));
  if (typeof path !== 'string') return path;
  return { ok: true, path: q === -1 ? path : path + target.slice(q), host };
}

/** Already normal: only plain path characters, no empty or dot segments (most requests). */
const PLAIN = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const NEEDS_WORK = /\/\/|\/\.\.?(?:\/|$)/;

function normalisePath(raw: string): string | RequestTarget {
  if (PLAIN.test(raw) && !NEEDS_WORK.test(raw)) return raw;
  if (raw.includes('\\')) return refuse('a path must not contain a backslash');
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return refuse('a path contains a broken %-escape');
      const upper = hex.toUpperCase();
      const refused = REFUSED_ESCAPES[upper];
      if (refused) return refuse(`a path must not contain ${refused}`);
      const decoded = String.fromCharCode(Number.parseInt(hex, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${upper}`;
      i += 2;
    } else if (PATH_CHAR.test(c)) out += c;
    else {
      const code = c.charCodeAt(0);
      if (code > 0xff) return refuse('a path contains a character outside latin1');
      out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return removeDotSegments(out.replace(/\/{2,}/g, '/'));
}

/** RFC 3986 §5.2.4 for an absolute path: `.` dropped, `..` removes the segment before it. */
function removeDotSegments(path: string): string {
  const segments = path.split('/').slice(1);
  const out: string[] = [];
  segments.forEach((segment, i) => {
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (i === segments.length - 1) out.push('');
    } else out.push(segment);
  });
  return `/${out.join('/')}`;
}
