/**
 * Stable codes of the errors the toxic proxy raises on purpose, with the HTTP status each maps to
 * (Toxiproxy's statuses where Toxiproxy has the error). The control API answers
 * `{"error": message, "status": N, "code": code}`: Toxiproxy's error body plus the code.
 */
export const TOXIC_PROXY_ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  missing_field: 400,
  invalid_proxy: 400,
  invalid_toxic: 400,
  unknown_toxic_type: 400,
  unauthorized: 401,
  browser_refused: 403,
  origin_refused: 403,
  host_refused: 403,
  upstream_refused: 403,
  listen_refused: 403,
  proxy_not_found: 404,
  toxic_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  proxy_exists: 409,
  toxic_exists: 409,
  address_in_use: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  listen_failed: 500,
  /** The control API itself would listen on a non-loopback address without a token or opt-in. */
  insecure_listen: 500,
  internal_error: 500,
} as const;

export type ToxicProxyErrorCode = keyof typeof TOXIC_PROXY_ERROR_STATUS;

export class ToxicProxyError extends Error {
  readonly status: number;
  constructor(
    readonly code: ToxicProxyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ToxicProxyError';
    this.status = TOXIC_PROXY_ERROR_STATUS[code];
  }
}
