// The HTTP server every Weather service runs on: JSON answers that always say who answered
// (service, version, pod, path, requestId, received headers), GET /healthz, GET /stats (requests
// counted by path and Host), optional test controls (?delay=ms, ?fail=code), access logs and a
// graceful stop. A service only supplies its routes.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { onShutdown } from './shutdown.mjs';
import { shownHeaders } from './propagation.mjs';

export const MAX_DELAY_MS = 10_000;
/** Not counted in /stats: the kubelet's probes and the stats reads themselves. */
const UNCOUNTED = new Set(['/healthz', '/stats']);

/** ?delay=ms (0..10000), ?fail=code (400..599) and ?failPercent=p (0..100, default 100), or a reason they are bad. */
export function testControls(params) {
  const out = { delayMs: 0, failStatus: 0, failPercent: 100 };
  const delay = params.get('delay');
  if (delay !== null) {
    const n = Number(delay);
    if (delay === '' || !Number.isInteger(n) || n < 0 || n > MAX_DELAY_MS) return { error: `delay must be an integer number of milliseconds from 0 to ${MAX_DELAY_MS}, got ${JSON.stringify(delay)}` };
    out.delayMs = n;
  }
  const fail = params.get('fail');
  if (fail !== null) {
    const n = Number(fail);
    if (fail === '' || !Number.isInteger(n) || n < 400 || n > 599) return { error: `fail must be an HTTP status from 400 to 599, got ${JSON.stringify(fail)}` };
    out.failStatus = n;
  }
  const percent = params.get('failPercent');
  if (percent !== null) {
    const n = Number(percent);
    if (percent === '' || !Number.isFinite(n) || n < 0 || n > 100) return { error: `failPercent must be a number from 0 to 100, got ${JSON.stringify(percent)}` };
    out.failPercent = n;
  }
  return out;
}

class Stats {
  requests = 0;
  byPath = {};
  byHost = {};
  count(path, host) {
    this.requests++;
    this.byPath[path] = (this.byPath[path] ?? 0) + 1;
    this.byHost[host] = (this.byHost[host] ?? 0) + 1;
  }
  toJSON() {
    return { requests: this.requests, byPath: this.byPath, byHost: this.byHost };
  }
}

/** Writes a JSON (object) or HTML (string) answer; `closing` adds Connection: close. */
function send(res, status, body, headers = {}, closing = false) {
  const isHtml = typeof body === 'string';
  const text = isHtml ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': isHtml ? 'text/html; charset=utf-8' : 'application/json', 'content-length': Buffer.byteLength(text), ...headers, ...(closing ? { connection: 'close' } : {}) });
  res.end(text);
}

/**
 * Starts the server. `routes` maps a path to `async (ctx) => ({ status?, json } | { status?, html })`;
 * a route's `json` is sent after the common fields. Options: `controls` turns on ?delay and ?fail for
 * every route, `generateRequestId` makes up an x-request-id when a request has none (the frontend,
 * so that calls to its backends share one even without a proxy in front).
 */
export function startHttpService(config, log, { routes, controls = false, generateRequestId = false }) {
  const stats = new Stats();
  let inFlight = 0;
  let shutdown;
  // After SIGTERM every answer closes its connection (also those of requests that came before), so
  // the server closes as soon as the last one is answered and keep-alive clients move elsewhere.
  const reply = (res, status, body, headers) => send(res, status, body, headers, shutdown?.stopping === true);

  const common = (req, url, requestId) => ({ service: config.service, version: config.version, pod: config.pod, path: url.pathname, requestId, received: shownHeaders(req) });

  async function handle(req, res, url) {
    const header = req.headers['x-request-id'];
    const requestId = (Array.isArray(header) ? header[0] : header) || (generateRequestId ? randomUUID() : null);
    const base = common(req, url, requestId);
    const extra = requestId ? { 'x-request-id': requestId } : {};
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { ...base, error: `method ${req.method} not allowed` }, { allow: 'GET, HEAD', ...extra });
    if (url.pathname === '/healthz') return reply(res, shutdown?.stopping ? 503 : 200, { service: config.service, version: config.version, pod: config.pod, status: shutdown?.stopping ? 'stopping' : 'ok' });
    if (url.pathname === '/stats') return reply(res, 200, { service: config.service, version: config.version, pod: config.pod, ...stats.toJSON() });
    const route = routes[url.pathname];
    if (!route) return reply(res, 404, { ...base, error: `no route for ${url.pathname}` }, extra);
    if (controls) {
      const c = testControls(url.searchParams);
      if (c.error) return reply(res, 400, { ...base, error: c.error }, extra);
      if (c.delayMs > 0) await sleep(c.delayMs);
      if (c.failStatus && Math.random() * 100 < c.failPercent) return reply(res, c.failStatus, { ...base, error: `failed on purpose (?fail=${c.failStatus})` }, extra);
    }
    const answer = await route({ req, url, requestId, base, config, log });
    if (answer.html !== undefined) return reply(res, answer.status ?? 200, answer.html, { ...extra, ...answer.headers });
    return reply(res, answer.status ?? 200, { ...base, ...answer.json }, { ...extra, ...answer.headers });
  }

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!UNCOUNTED.has(url.pathname)) stats.count(url.pathname, String(req.headers.host ?? ''));
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (!UNCOUNTED.has(url.pathname)) log.info('request', { method: req.method, path: req.url, status: res.statusCode, ms: Date.now() - started, requestId: req.headers['x-request-id'] ?? null });
    });
    req.resume();
    handle(req, res, url).catch((e) => {
      log.error('handler failed', { path: url.pathname, error: e.stack ?? String(e) });
      if (!res.headersSent) reply(res, 500, { service: config.service, version: config.version, pod: config.pod, path: url.pathname, error: 'internal error' });
      else res.destroy();
    });
  });
  // Idle keep-alive connections stay open for 2 minutes. A sidecar reuses its pooled connections to
  // the app, and a server that closes one just as the proxy sends on it turns a good request into a
  // reset; keeping them long leaves closing to the proxy, which knows when it will reuse one.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;

  server.on('error', (e) => {
    log.error('server error', { error: e.message, code: e.code });
    process.exit(1);
  });
  server.listen(config.port, config.bindAddress, () => {
    const { address, port } = server.address();
    log.info('listening', { address: `${address}:${port}`, port });
  });

  shutdown = onShutdown({ log, timeoutMs: config.shutdownTimeoutMs }, {
    drain: () =>
      new Promise((resolve) => {
        log.info('draining', { inFlight });
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
    force: () => server.closeAllConnections(),
  });
  return { server, stats };
}
