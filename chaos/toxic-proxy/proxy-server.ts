import { parseHostPort } from './address.ts';
import { type ControlApi, type ControlApiOptions, startControlApi } from './control-api.ts';
import { ToxicProxyError } from './errors.ts';
import { type ProxyInfo, ToxicProxy } from './proxy.ts';
import { NAME_PATTERN, parseToxic } from './registry.ts';
import type { ToxicInfo, ToxicInput } from './toxic.ts';

export interface CreateProxyInput {
  name: string;
  /** "host:port"; port 0 picks a free port (reported by ProxyInfo.listen). */
  listen: string;
  upstream: string;
  /** Default true. */
  enabled?: boolean;
}

/** Many toxic proxies by name, driven in-process or over the HTTP control API (listenControl). */
export class ToxicProxyServer {
  private readonly proxies = new Map<string, ToxicProxy>();
  private readonly controls = new Set<ControlApi>();

  async createProxy(input: CreateProxyInput): Promise<ProxyInfo> {
    if (typeof input !== 'object' || input === null) {
      throw new ToxicProxyError(
        'invalid_proxy',
        'a proxy must be an object {name, listen, upstream, enabled?}',
      );
    }
    const { name, listen, upstream, enabled } = input;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new ToxicProxyError(
        'invalid_proxy',
        `name: must be 1-100 characters of letters, digits, "_", "." or "-" (got ${JSON.stringify(name) ?? 'undefined'})`,
      );
    }
    if (enabled !== undefined && typeof enabled !== 'boolean') {
      throw new ToxicProxyError(
        'invalid_proxy',
        `enabled: must be true or false (got ${JSON.stringify(enabled)})`,
      );
    }
    const proxy = new ToxicProxy(
      name,
      parseHostPort(listen, 'listen', 0),
      parseHostPort(upstream, 'upstream', 1),
    );
    if (this.proxies.has(name))
      throw new ToxicProxyError('proxy_exists', `a proxy named ${name} already exists`);
    this.proxies.set(name, proxy);
    try {
      if (enabled === false) await proxy.reservePort();
      else await proxy.setEnabled(true);
    } catch (err) {
      this.proxies.delete(name);
      throw err;
    }
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
    if (typeof enabled !== 'boolean') {
      throw new ToxicProxyError(
        'invalid_proxy',
        `enabled: must be true or false (got ${JSON.stringify(enabled)})`,
      );
    }
    const proxy = this.get(name);
    await proxy.setEnabled(enabled);
    return proxy.info();
  }

  async deleteProxy(name: string): Promise<void> {
    const proxy = this.get(name);
    this.proxies.delete(name);
    await proxy.close();
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
      `proxy ${proxyName} has no toxic named ${toxicName} (toxics: ${known.join(', ') || 'none'})`,
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

  private get(name: string): ToxicProxy {
    const proxy = this.proxies.get(name);
    if (proxy) return proxy;
    throw new ToxicProxyError(
      'proxy_not_found',
      `no proxy named ${name} (proxies: ${[...this.proxies.keys()].join(', ') || 'none'})`,
    );
  }
}
