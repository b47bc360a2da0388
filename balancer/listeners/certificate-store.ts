import { createSecureContext, type SecureContext } from 'node:tls';
import type { TlsCertificate, TlsConfig } from '../config/types.ts';

/**
 * The certificates of one TLS listener, chosen by SNI: an exact name first, then a wildcard
 * (`*.example.com` covers one label: `a.example.com`, not `a.b.example.com`), else the first
 * certificate. `update` swaps them all at once (a reload): a handshake in progress keeps the
 * context it got, established connections are not touched.
 */
export class CertificateStore {
  private exact = new Map<string, SecureContext>();
  private wildcard = new Map<string, SecureContext>();
  private fallback: SecureContext | undefined;

  constructor(tls: TlsConfig) {
    this.update(tls);
  }

  update(tls: TlsConfig): void {
    const exact = new Map<string, SecureContext>();
    const wildcard = new Map<string, SecureContext>();
    let fallback: SecureContext | undefined;
    for (const certificate of tls.certificates) {
      const context = contextOf(certificate, tls);
      fallback ??= context;
      for (const name of certificate.names) {
        // The first certificate that names a host wins, as the first matching server block in nginx.
        if (name.startsWith('*.')) {
          if (!wildcard.has(name.slice(2))) wildcard.set(name.slice(2), context);
        } else if (!exact.has(name)) exact.set(name, context);
      }
    }
    this.exact = exact;
    this.wildcard = wildcard;
    this.fallback = fallback;
  }

  /** The context for an SNI name (any case, maybe with a trailing dot); undefined: the default. */
  contextFor(serverName: string): SecureContext | undefined {
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const exact = this.exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return (dot > 0 ? this.wildcard.get(name.slice(dot + 1)) : undefined) ?? this.fallback;
  }

  /** For tls.createServer's SNICallback. */
  readonly sniCallback = (
    serverName: string,
    done: (err: Error | null, context?: SecureContext) => void,
  ): void => {
    done(null, this.contextFor(serverName));
  };
}

function contextOf(certificate: TlsCertificate, tls: TlsConfig): SecureContext {
  return createSecureContext({ cert: certificate.cert, key: certificate.key, minVersion: tls.minVersion });
}

/** The options of the default context (clients without SNI), for createServer and setSecureContext. */
export function defaultContextOptions(tls: TlsConfig): {
  cert: string;
  key: string;
  minVersion: TlsConfig['minVersion'];
} {
  const first = tls.certificates[0];
  if (!first) throw new Error('a TLS listener needs a certificate');
  return { cert: first.cert, key: first.key, minVersion: tls.minVersion };
}
