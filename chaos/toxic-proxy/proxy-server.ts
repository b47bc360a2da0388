import { parseHostPort } from './address.ts';
import type { HostPort } from './connection.ts';
import { type ControlApi, type ControlApiOptions, startControlApi } from './control-api.ts';
import { ToxicProxyError } from './errors.ts';
import { type ProxyInfo, ToxicProxy } from './proxy.ts';
import { NAME_PATTERN, parseToxic, parseToxicUpdate } from './registry.ts';
import type { ToxicInfo, ToxicInput } from './toxic.ts';

export interface CreateProxyInput {
  name: string;
  /** "host:port"; port 0 picks a free port (reported by ProxyInfo.listen). Default 127.0.0.1:0. */
  listen?: string;
  upstream: string;
  /** Default true. */
  enabled?: boolean;
}

/** A proxy update (Toxiproxy's POST|PATCH /proxies/{name}): fields not sent keep their value. */
export interface UpdateProxyInput {
  name?: string;
  listen?: string;
  upstream?: string;
  enabled?: boolean;
}

/** What populate did: the proxies created or kept, and the error that stopped it, if one did. */
export interface PopulateResult {
  proxies: ProxyInfo[];
  error?: ToxicProxyError;
}

/** Where a proxy listens when the caller does not say (Toxiproxy: every interface). */
export const DEFAULT_LISTEN = '127.0.0.1:0';
const PROXY_FIELDS = ['name', 'listen', 'upstream', 'enabled'];

interface ProxySpec {
  name: string;
  listen: HostPort;
  upstream: HostPort;
  enabled: boolean;
}

/** Many toxic proxies by name, driven in-process or over the HTTP control API (listenControl). */
export class ToxicProxyServer {
  private readonly proxies = new Map<string, ToxicProxy>();
  private readonly controls = new Set<ControlApi>();

  async createProxy(input: CreateProxyInput): Promise<ProxyInfo> {
    const spec = parseProxy(input, '');
    if (this.proxies.has(spec.name)) {
      throw new ToxicProxyError(
        'proxy_exists',
        `proxy already exists: a proxy named ${spec.name} already exists`,
      );
    }
    return this.start(spec);
  }

  /**
   * Toxiproxy's populate: every entry is checked before any proxy is touched; then, in order, a
   * proxy of that name with the same listen address and upstream is kept as it is (toxics and
   * all), one that differs is replaced, a new one is created. The first failure stops it: the
   * proxies done so far are returned with the error.
   */
  async populate(input: unknown): Promise<PopulateResult> {
    const specs = parsePopulate(input);
    const proxies: ProxyInfo[] = [];
    for (const spec of specs) {
      try {
        const existing = this.proxies.get(spec.name);
        if (existing?.matches(spec.listen, spec.upstream)) {
          proxies.push(existing.info());
          continue;
        }
        if (existing) {
          this.proxies.delete(spec.name);
          await existing.close();
        }
        proxies.push(await this.start(spec));
      } catch (err) {
        if (err instanceof ToxicProxyError) return { proxies, error: err };
        throw err;
      }
    }
    return { proxies };
  }

  /** Changes enabled, listen and upstream (see ToxicProxy.update); a name cannot change. */
  async updateProxy(name: string, input: UpdateProxyInput): Promise<ProxyInfo> {
    const proxy = this.get(name);
    const { toxics: _, ...current } = proxy.info();
    const body = proxyObject(input, '', '{enabled?, listen?, upstream?}');
    if (body.name !== undefined && body.name !== name) {
      throw new ToxicProxyError(
        'invalid_proxy',
        `name: a proxy cannot be renamed (it is ${JSON.stringify(name)}, got ${JSON.stringify(body.name)}); delete it and create it again`,
      );
    }
    const spec = parseProxy({ ...current, ...body, name }, '');
    await proxy.update(spec.listen, spec.upstream, spec.enabled);
    return proxy.info();
  }

  /** The proxy's info; throws proxy_not_found (naming the known proxies). */
  proxy(name: string): ProxyInfo {
    return this.get(name).info();
  }

  list(): ProxyInfo[] {
    return [...this.proxies.values()].map((p) => p.info());
  }

  /** Down (false): listener closed, connections cut. Up (true): listening again on the same port. */
  async setEnabled(name: string, enabled: boolean): Promise<ProxyInfo> {
    return this.updateProxy(name, { enabled });
  }

  async deleteProxy(name: string): Promise<void> {
    const proxy = this.get(name);
    this.proxies.delete(name);
    await proxy.close();
  }

  /** Changes a toxic's toxicity and attributes (see parseToxicUpdate), open connections included. */
  updateToxic(proxyName: string, toxicName: string, input: unknown): ToxicInfo {
    const current = this.toxic(proxyName, toxicName);
    return this.get(proxyName).updateToxic(parseToxicUpdate(current, input));
  }

  /** Adds a toxic to the proxy and to its open connections. */
  addToxic(proxyName: string, toxic: ToxicInput): ToxicInfo {
    const proxy = this.get(proxyName);
    return proxy.addToxic(parseToxic(toxic));
  }

  toxic(proxyName: string, toxicName: string): ToxicInfo {
    const proxy = this.get(proxyName);
    const toxic = proxy.toxic(toxicName);
    if (toxic) return toxic;
    const known = proxy.info().toxics.map((t) => t.name);
    throw new ToxicProxyError(
      'toxic_not_found',
      `toxic not found: proxy ${proxyName} has no toxic named ${toxicName} (toxics: ${known.join(', ') || 'none'})`,
    );
  }

  /** False when the proxy has no such toxic (removal is idempotent). */
  removeToxic(proxyName: string, toxicName: string): boolean {
    return this.get(proxyName).removeToxic(toxicName);
  }

  /** Removes every toxic and enables every proxy. */
  async reset(): Promise<void> {
    for (const proxy of this.proxies.values()) {
      proxy.removeAllToxics();
      await proxy.setEnabled(true);
    }
  }

  /** Starts an HTTP control API for this server (its rules: control-api.ts, ControlApiOptions). */
  async listenControl(options: ControlApiOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
    const api = await startControlApi(this, options);
    this.controls.add(api);
    return {
      url: api.url,
      close: async () => {
        this.controls.delete(api);
        await api.close();
      },
    };
  }

  /** Closes every control API and every proxy. */
  async close(): Promise<void> {
    await Promise.all([...this.controls].map((c) => c.close()));
    this.controls.clear();
    const proxies = [...this.proxies.values()];
    this.proxies.clear();
    await Promise.all(proxies.map((p) => p.close()));
  }

  private async start(spec: ProxySpec): Promise<ProxyInfo> {
    const proxy = new ToxicProxy(spec.name, spec.listen, spec.upstream);
    this.proxies.set(spec.name, proxy);
    try {
      if (spec.enabled) await proxy.setEnabled(true);
      else await proxy.reservePort();
    } catch (err) {
      this.proxies.delete(spec.name);
      throw err;
    }
    return proxy.info();
  }

  private get(name: string): ToxicProxy {
    const proxy = this.proxies.get(name);
    if (proxy) return proxy;
    throw new ToxicProxyError(
      'proxy_not_found',
      `proxy not found: no proxy named ${name} (proxies: ${[...this.proxies.keys()].join(', ') || 'none'})`,
    );
  }
}

/** Checks a proxy as a caller sent it; `where` says which entry of a populate list it was. */
function parseProxy(input: unknown, where: string): ProxySpec {
  const body = proxyObject(input, where, '{name, listen?, upstream, enabled?}');
  const { name, listen, upstream, enabled } = body;
  if (name === undefined || name === '') throw missing('name', where);
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new ToxicProxyError(
      'invalid_proxy',
      `name${where}: must be 1-100 characters of letters, digits, "_", "." or "-" (got ${JSON.stringify(name)})`,
    );
  }
  if (upstream === undefined || upstream === '') throw missing('upstream', where);
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw new ToxicProxyError(
      'invalid_proxy',
      `enabled${where}: must be true or false (got ${JSON.stringify(enabled)})`,
    );
  }
  return {
    name,
    listen: parseHostPort(
      listen === undefined || listen === '' ? DEFAULT_LISTEN : listen,
      `listen${where}`,
      0,
    ),
    upstream: parseHostPort(upstream, `upstream${where}`, 1),
    enabled: enabled ?? true,
  };
}

/**
 * The body must be an object of proxy fields. `toxics` is read-only and ignored, as in Toxiproxy:
 * clients send a proxy back as they last read it (the Go client on every save), toxics included;
 * toxics are changed through /proxies/{name}/toxics only.
 */
function proxyObject(input: unknown, where: string, shape: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ToxicProxyError('invalid_proxy', `a proxy must be an object ${shape}${where}`);
  }
  const { toxics: _, ...body } = input as Record<string, unknown>;
  const unknown = Object.keys(body).filter((k) => !PROXY_FIELDS.includes(k));
  if (unknown.length > 0) {
    throw new ToxicProxyError(
      'invalid_proxy',
      `unknown field(s)${where} ${unknown.join(', ')} (known: ${PROXY_FIELDS.join(', ')})`,
    );
  }
  return body;
}

function parsePopulate(input: unknown): ProxySpec[] {
  if (!Array.isArray(input)) {
    throw new ToxicProxyError('invalid_request', 'bad request body: populate takes a JSON array of proxies');
  }
  return input.map((entry, i) => parseProxy(entry, ` at proxy ${i + 1}`));
}

function missing(field: string, where: string): ToxicProxyError {
  return new ToxicProxyError('missing_field', `missing required field: ${field}${where}`);
}
