// The environment of a Weather service, read once at start into a plain object: listen address,
// version, pod name, backend URLs and timeouts. Nothing else in the apps reads process.env.
import { hostname } from 'node:os';

/** A problem with the environment: the app prints it and exits 2. */
export class ConfigError extends Error {}

function integer(env, name, fallback, min, max) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

function url(env, name, fallback) {
  const raw = env[name] || fallback;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:') throw new Error('not http');
    return u.href;
  } catch {
    throw new ConfigError(`${name} must be an http:// URL, got ${JSON.stringify(raw)}`);
  }
}

/**
 * `service` names the app, `defaultPort` is its well-known port, `backends` maps an env name such
 * as FORECAST_URL to its default URL.
 */
export function readConfig(env, { service, defaultPort, backends = {} }) {
  const level = env.LOG_LEVEL || 'info';
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) throw new ConfigError(`LOG_LEVEL must be debug, info, warn, error or silent, got ${JSON.stringify(level)}`);
  return {
    service,
    port: integer(env, 'PORT', defaultPort, 0, 65535),
    bindAddress: env.BIND_ADDRESS || '0.0.0.0',
    version: env.VERSION || 'v1',
    pod: env.POD_NAME || env.HOSTNAME || hostname(),
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 5000, 1, 600_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, 0, 3_600_000),
    logLevel: level,
    backends: Object.fromEntries(Object.entries(backends).map(([name, fallback]) => [name, url(env, name, fallback)])),
  };
}

/** readConfig, or the problem on stderr and exit code 2. */
export function configOrExit(env, options) {
  try {
    return readConfig(env, options);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`${options.service}: ${e.message}\n`);
    process.exit(2);
  }
}
