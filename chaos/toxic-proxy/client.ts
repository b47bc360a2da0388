import type { ProxyInfo } from './proxy.ts';
import type { CreateProxyInput, UpdateProxyInput } from './proxy-server.ts';
import type { ToxicInfo, ToxicInput } from './toxic.ts';

/** The control API answered with an error (or could not be reached: status 0, code `unreachable`). */
export class ToxicProxyClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ToxicProxyClientError';
  }
}

export interface ToxicProxyClientOptions {
  /** Per request; default 5000 ms. */
  timeoutMs?: number;
  /** Sent as `Authorization: Bearer <token>`; default $FAULTLINE_TOXIC_TOKEN, if set. */
  token?: string;
}

/** The environment variable that holds the control API's token, for the service and its callers. */
export const TOXIC_TOKEN_ENV = 'FAULTLINE_TOXIC_TOKEN';

/** Headers of a control API call: the JSON content type on state changes, and the token when one is set. */
export function controlHeaders(method: string, token = tokenFromEnv()): Record<string, string> {
  const headers: Record<string, string> = {};
  if (method !== 'GET' && method !== 'HEAD') headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

function tokenFromEnv(): string | undefined {
  return process.env[TOXIC_TOKEN_ENV] || undefined;
}

/** Typed client for the toxic proxy's HTTP control API. */
export class ToxicProxyClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly token: string | undefined;

  constructor(controlUrl: string, options: ToxicProxyClientOptions = {}) {
    this.base = controlUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.token = options.token ?? tokenFromEnv();
  }

  async version(): Promise<string> {
    return ((await this.request('GET', '/version')) as { version: string }).version;
  }

  async proxies(): Promise<ProxyInfo[]> {
    return Object.values((await this.request('GET', '/proxies')) as Record<string, ProxyInfo>);
  }

  async proxy(name: string): Promise<ProxyInfo> {
    return (await this.request('GET', `/proxies/${enc(name)}`)) as ProxyInfo;
  }

  async createProxy(input: CreateProxyInput): Promise<ProxyInfo> {
    return (await this.request('POST', '/proxies', input)) as ProxyInfo;
  }

  async setEnabled(name: string, enabled: boolean): Promise<ProxyInfo> {
    return this.updateProxy(name, { enabled });
  }

  /** Fields not sent keep their value; a new listen or upstream restarts the proxy. */
  async updateProxy(name: string, update: UpdateProxyInput): Promise<ProxyInfo> {
    return (await this.request('PATCH', `/proxies/${enc(name)}`, update)) as ProxyInfo;
  }

  /** Creates, keeps (same listen and upstream) or replaces each proxy. */
  async populate(proxies: CreateProxyInput[]): Promise<ProxyInfo[]> {
    return ((await this.request('POST', '/populate', proxies)) as { proxies: ProxyInfo[] }).proxies;
  }

  async deleteProxy(name: string): Promise<void> {
    await this.request('DELETE', `/proxies/${enc(name)}`);
  }

  async toxics(proxy: string): Promise<ToxicInfo[]> {
    return (await this.request('GET', `/proxies/${enc(proxy)}/toxics`)) as ToxicInfo[];
  }

  async addToxic(proxy: string, toxic: ToxicInput): Promise<ToxicInfo> {
    return (await this.request('POST', `/proxies/${enc(proxy)}/toxics`, toxic)) as ToxicInfo;
  }

  /** New toxicity and attributes (attributes not sent keep their value). */
  async updateToxic(
    proxy: string,
    toxic: string,
    update: { toxicity?: number; attributes?: Record<string, unknown> },
  ): Promise<ToxicInfo> {
    return (await this.request('PATCH', `/proxies/${enc(proxy)}/toxics/${enc(toxic)}`, update)) as ToxicInfo;
  }

  /** False when the toxic (or the proxy) is not there: removal is idempotent. */
  async removeToxic(proxy: string, toxic: string): Promise<boolean> {
    try {
      await this.request('DELETE', `/proxies/${enc(proxy)}/toxics/${enc(toxic)}`);
      return true;
    } catch (err) {
      if (err instanceof ToxicProxyClientError && err.status === 404) return false;
      throw err;
    }
  }

  /** Removes every toxic and enables every proxy. */
  async reset(): Promise<void> {
    await this.request('POST', '/reset');
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: controlHeaders(method, this.token),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new ToxicProxyClientError(
        0,
        'unreachable',
        `toxic proxy ${method} ${url} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json;
    // Toxiproxy's error body {"error": message, "status": N}, with faultline's stable code.
    const error = json as { error?: unknown; code?: unknown } | undefined;
    throw new ToxicProxyClientError(
      res.status,
      typeof error?.code === 'string' ? error.code : `http_${res.status}`,
      typeof error?.error === 'string' ? error.error : `toxic proxy ${method} ${url} answered ${res.status}`,
    );
  }
}

const enc = encodeURIComponent;
