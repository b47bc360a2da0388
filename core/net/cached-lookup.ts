import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

/** A name that does not answer within this long fails the connection, instead of holding it. */
const RESOLVE_TIMEOUT_MS = 500;
/** An answer is used this long, then refreshed in the background while it is still served. */
const FRESH_MS = 1000;
/** A name that failed to resolve fails at once for this long, instead of asking again per connection. */
const NEGATIVE_MS = 300;

interface Entry {
  address?: string;
  family?: number;
  error?: NodeJS.ErrnoException;
  at: number;
  pending?: Promise<void>;
}

const resolver = new dns.promises.Resolver({ timeout: RESOLVE_TIMEOUT_MS, tries: 1 });
const cache = new Map<string, Entry>();

function refresh(hostname: string, entry: Entry): Promise<void> {
  entry.pending ??= resolver
    .resolve4(hostname)
    .then(
      (addresses) => ({ address: addresses[0] as string, family: 4 }),
      (error: NodeJS.ErrnoException) => {
        // No answer at all: fail now. No A record: /etc/hosts or IPv6 may still know it.
        if (error.code === 'ETIMEOUT') throw error;
        return dns.promises.lookup(hostname);
      },
    )
    .then(
      ({ address, family }) => {
        cache.set(hostname, { address, family, at: Date.now() });
      },
      (error: NodeJS.ErrnoException) => {
        cache.set(hostname, { error, at: Date.now() });
      },
    );
  return entry.pending;
}

/**
 * Resolves backend names through c-ares with a small cache (as nginx's `resolver ... valid=`),
 * not per-connection getaddrinfo. getaddrinfo runs on libuv's four worker threads, and in a
 * compose network a killed or cut-off container's name is forwarded to outside resolvers that
 * may never answer: a few such lookups starve every other name's, and one dead backend makes
 * health checks of the healthy ones time out too. Here a healthy name is answered from the cache
 * (refreshed in the background), a dead one fails fast. `localhost` goes to the system lookup.
 * Pass it as `lookup` to net.connect, http.request or an http.Agent.
 */
export const cachedLookup: LookupFunction = (hostname, options, callback) => {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    dns.lookup(
      hostname,
      options as dns.LookupAllOptions,
      callback as unknown as (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
    );
    return;
  }
  const all = typeof options === 'object' && options !== null && 'all' in options && options.all === true;
  const answer = (entry: Entry) => {
    if (entry.address === undefined) {
      callback(
        entry.error ?? Object.assign(new Error(`cannot resolve ${hostname}`), { code: 'ENOTFOUND' }),
        '',
        4,
      );
    } else if (all) {
      const list = [{ address: entry.address, family: entry.family ?? 4 }];
      (callback as (err: null, addresses: dns.LookupAddress[]) => void)(null, list);
    } else callback(null, entry.address, entry.family ?? 4);
  };
  const entry = cache.get(hostname);
  const age = entry ? Date.now() - entry.at : Number.POSITIVE_INFINITY;
  if (entry?.address !== undefined) {
    if (age > FRESH_MS) void refresh(hostname, entry);
    answer(entry);
    return;
  }
  if (entry && age <= NEGATIVE_MS) {
    answer(entry);
    return;
  }
  const fresh: Entry = entry ?? { at: 0 };
  if (!entry) cache.set(hostname, fresh);
  void refresh(hostname, fresh).then(() => answer(cache.get(hostname) as Entry));
};

/** Forgets what is known about `hostname` (it went away: look it up again next time). */
export function forgetHost(hostname: string): void {
  cache.delete(hostname);
}
