/**
 * Error codes that mean a connection to a backend was never made (refused, unreachable, no such
 * host, undici's connect timeout): nothing was sent, so another server may take the request or
 * connection. One list for the request path, WebSocket tunnels and tcp listeners.
 */
const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function isConnectFailure(code: string | undefined): boolean {
  return code !== undefined && CONNECT_ERRORS.has(code);
}
