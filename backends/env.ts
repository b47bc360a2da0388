import { hostname } from 'node:os';
import { KNOB_NAMES, KNOB_SPECS, KnobError, type Knobs, knobsFromEnv } from './knobs.ts';

/** Everything the process entry point reads from its environment. */
export interface BackendEnv {
  name: string;
  host: string;
  port: number;
  knobs: Partial<Knobs>;
  shutdownTimeoutMs: number;
  /** `http` (the sample HTTP backend) or `tcp` (a line echo server: tcp-echo.ts). */
  protocol: 'http' | 'tcp';
}

/** One environment variable with an unacceptable value; the message names it and what it accepts. */
export class EnvError extends Error {
  readonly code = 'ERR_INVALID_ENV';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'EnvError';
  }
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/** Instance names go into a response header, so: 1–128 visible ASCII characters. */
export const INSTANCE_NAME = /^[\x21-\x7e]{1,128}$/;

function integerVar(env: Record<string, string | undefined>, name: string, min: number, max: number) {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new EnvError(name, `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Every variable the backend reads: its own and one per knob. */
export const BACKEND_ENV_VARS: readonly string[] = [
  'BACKEND_NAME',
  'HOST',
  'PORT',
  'SHUTDOWN_TIMEOUT_MS',
  'PROTOCOL',
  ...KNOB_NAMES.map((name) => KNOB_SPECS[name].env),
];

/**
 * Reads BACKEND_NAME, HOST, PORT, SHUTDOWN_TIMEOUT_MS and the knob variables
 * (LATENCY_MS, ERROR_RATE, ERROR_STATUS, HANG, HEALTH_STATUS). Throws EnvError on the first bad one.
 */
export function readBackendEnv(env: Record<string, string | undefined> = process.env): BackendEnv {
  const name = env.BACKEND_NAME || hostname();
  if (!INSTANCE_NAME.test(name)) {
    throw new EnvError(
      'BACKEND_NAME',
      `BACKEND_NAME must be 1 to 128 visible ASCII characters (no spaces), got ${JSON.stringify(name)}`,
    );
  }
  const host = env.HOST || DEFAULT_HOST;
  if (/\s/.test(host)) {
    throw new EnvError('HOST', `HOST must be an IP address or host name, got ${JSON.stringify(host)}`);
  }
  const port = integerVar(env, 'PORT', 0, 65535) ?? DEFAULT_PORT;
  const shutdownTimeoutMs = integerVar(env, 'SHUTDOWN_TIMEOUT_MS', 0, 600_000) ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  let knobs: Partial<Knobs>;
  try {
    knobs = knobsFromEnv(env);
  } catch (err) {
    if (err instanceof KnobError) throw new EnvError(err.field, err.message);
    throw err;
  }
  const protocol = env.PROTOCOL || 'http';
  if (protocol !== 'http' && protocol !== 'tcp') {
    throw new EnvError('PROTOCOL', `PROTOCOL must be http or tcp, got ${JSON.stringify(protocol)}`);
  }
  return { name, host, port, knobs, shutdownTimeoutMs, protocol };
}
