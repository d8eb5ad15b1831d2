// HTTP/1.1 upgrades (upgrade_configs: websocket): the request is routed like any other, the HTTP
// filters before the router run on it, and the router's part is done here: a dedicated upstream
// connection to the chosen host carries the Upgrade request; a 101 answer is relayed to the client
// and the two sockets are then spliced (bytes both ways, half-closes and resets propagated); any
// other answer is relayed as an ordinary response and the downstream connection closes. Circuit
// breakers, host choice and the route's host/path rewrites and header mutations apply as for the
// router, and so do the route's priority (its circuit breakers), auto_host_rewrite and istio.alpn's
// ALPN override. Upstream TLS is the host's pool's for the stream's key; a host whose TLS context is
// unavailable is never reached in plaintext (503 UF).
//
// Whether an upgrade is allowed at all is decided once the route is known (upgradeEnabled): a
// route's upgrade_configs entry overrides the connection manager's, as Envoy's
// createUpgradeFilterChain does; a refused upgrade is answered 403.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { downstreamResponseHeaders, mutableHeaders, type HeaderMap } from './headers.js';
import { applyHeaderMutations, type RouteDecision, type ForwardDecision } from '../router/index.js';
import { upstreamApplicationProtocols } from '../upstream/application-protocols.js';
import { transportFor, type PoolKey } from '../upstream/conn-pool.js';
import { LOCAL_ORIGIN_FAILURE, LOCAL_ORIGIN_TIMEOUT, type ClusterLookup } from '../upstream/upstream-cluster.js';
import type { RoutedStream } from './connection-manager.js';
import type { Http1ServerResponse } from './h1/server-codec.js';

/** How long the upstream has to answer the Upgrade request (the route timeout, else this). */
const DEFAULT_UPGRADE_TIMEOUT_MS = 15_000;
/** After one side of a tunnel closed, the other has this long to close its half. */
const HALF_CLOSE_GRACE_MS = 5_000;

export interface UpgradeRequest {
  /** The downstream socket, detached from Node's HTTP parser. */
  readonly socket: net.Socket;
  /** Bytes the client sent after the request head. */
  readonly head: Buffer;
  /** The lower-cased upgrade type (websocket). */
  readonly type: string;
}

/**
 * Envoy's upgrade decision (HttpConnectionManagerConfig::createUpgradeFilterChain): a route that
 * lists the upgrade type decides (enabled or not); otherwise the connection manager's
 * upgrade_configs do. A route can enable a type the connection manager leaves disabled or does not
 * list at all. Only forward routes carry upgrade_configs.
 */
export function upgradeEnabled(type: string, hcmEnabled: ReadonlySet<string>, decision: RouteDecision): boolean {
  const routeLevel = decision.kind === 'forward' ? decision.upgradeConfigs?.get(type) : undefined;
  return routeLevel ?? hcmEnabled.has(type);
}

function rawHead(status: number, message: string, headers: http.IncomingHttpHeaders | HeaderMap): string {
  let out = `HTTP/1.1 ${status} ${message}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out += `${k}: ${one}\r\n`;
  }
  return `${out}\r\n`;
}

/** The router filter's config fields that apply to a tunnelled upgrade too (its suppress_envoy_headers and dynamic_stats). */
export interface UpgradeOptions {
  readonly suppressEnvoyHeaders?: boolean;
  readonly dynamicStats?: boolean;
}

/** Forwards an upgrade request on a `forward` route; answers locally when it cannot. The router filter calls it. */
export function forwardUpgrade(ctx: RoutedStream, d: ForwardDecision, up: UpgradeRequest, clusters: ClusterLookup, random: () => number, routerOptions: UpgradeOptions = {}): void {
  const cluster = clusters.get(d.cluster);
  if (!cluster) return ctx.sendLocalReply(d.clusterNotFoundStatus, '', 'NC');
  ctx.upstreamCluster = cluster.name;
  const priority = d.priority;
  if (!cluster.tryStartRequest(priority)) {
    cluster.counters.upstream_rq_pending_overflow.value++;
    if (!routerOptions.suppressEnvoyHeaders) ctx.responseHeaders['x-envoy-overloaded'] = 'true';
    return ctx.sendLocalReply(503, 'upstream connect error or disconnect/reset before headers. reset reason: overflow', 'UO');
  }
  const host = cluster.chooseHost({ random });
  if (!host) {
    cluster.finishRequest(priority);
    return ctx.sendLocalReply(503, 'no healthy upstream', 'UH');
  }
  ctx.upstreamHost = `${host.address}:${host.port}`;
  const key: PoolKey = { priority, alpn: upstreamApplicationProtocols(ctx) };
  const transport = transportFor(host.pool, key);
  if (transport.kind === 'unavailable') {
    cluster.finishRequest(priority);
    return ctx.sendLocalReply(503, `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${transport.reason}`, 'UF');
  }
  const headers: HeaderMap = { ...ctx.upstreamHeaders, connection: 'upgrade', upgrade: String(ctx.downstreamHeaders.upgrade ?? up.type) };
  applyHeaderMutations(d.requestHeaderMutations, mutableHeaders(headers));
  headers['host'] = (d.autoHostRewrite && host.hostname) || (d.hostRewrite ?? ctx.authority);
  const path = d.pathRewrite ?? ctx.path;
  const tlsOptions = transport.kind === 'tls' ? transport.options : undefined;
  const options: https.RequestOptions = { host: host.address, port: host.port, method: ctx.method, path, headers, agent: false, ...(tlsOptions ?? {}) };
  const upstreamReq = (tlsOptions ? https : http).request(options);
  host.begin();
  let settled = false;
  const done = () => {
    if (settled) return;
    settled = true;
    host.end();
    cluster.finishRequest(priority);
  };
  const timer = setTimeout(() => upstreamReq.destroy(new Error('upgrade timeout')), d.timeoutMs > 0 ? d.timeoutMs : DEFAULT_UPGRADE_TIMEOUT_MS);
  // The client may leave before the upstream answers.
  const onDownstreamGone = () => upstreamReq.destroy();
  up.socket.once('close', onDownstreamGone);
  upstreamReq.once('upgrade', (res: http.IncomingMessage, upstream: net.Socket, upstreamHead: Buffer) => {
    clearTimeout(timer);
    up.socket.removeListener('close', onDownstreamGone);
    cluster.counters.upstream_rq_total.value++;
    host.recordResult(101);
    const out: HeaderMap = { ...(res.headers as HeaderMap) };
    for (const [k, v] of Object.entries(ctx.responseHeaders)) out[k] = v;
    applyHeaderMutations(d.responseHeaderMutations, mutableHeaders(out));
    // Mark the response as sent (status 101) for the access log, then splice the sockets.
    const response = ctx.response as Http1ServerResponse;
    response.statusCode = 101;
    response.headersSentAt = Date.now();
    up.socket.write(rawHead(101, res.statusMessage || 'Switching Protocols', out));
    if (upstreamHead.length > 0) up.socket.write(upstreamHead);
    if (up.head.length > 0) upstream.write(up.head);
    splice(up.socket, upstream, () => {
      done();
      response.emit('finish');
    });
  });
  upstreamReq.once('response', (res: http.IncomingMessage) => {
    clearTimeout(timer);
    up.socket.removeListener('close', onDownstreamGone);
    cluster.counters.upstream_rq_total.value++;
    host.recordResult(res.statusCode ?? 0);
    if (routerOptions.dynamicStats !== false) cluster.recordStatus(res.statusCode ?? 0);
    const out = downstreamResponseHeaders(res.headers);
    Object.assign(out, ctx.responseHeaders);
    applyHeaderMutations(d.responseHeaderMutations, mutableHeaders(out));
    const sink = ctx.response as Http1ServerResponse;
    sink.shouldKeepAlive = false;
    sink.writeHead(res.statusCode ?? 502, out);
    res.pipe(sink);
    res.once('end', done);
    res.once('error', () => {
      done();
      sink.destroy();
    });
  });
  upstreamReq.once('error', (e: Error) => {
    clearTimeout(timer);
    up.socket.removeListener('close', onDownstreamGone);
    cluster.counters.upstream_rq_total.value++;
    const timedOut = e.message === 'upgrade timeout';
    host.recordResult(timedOut ? LOCAL_ORIGIN_TIMEOUT : LOCAL_ORIGIN_FAILURE);
    done();
    if (up.socket.destroyed) return;
    if (timedOut) ctx.sendLocalReply(504, 'upstream request timeout', 'UT');
    else ctx.sendLocalReply(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure', 'UF');
  });
  upstreamReq.end();
}

/** Bytes both ways until both sides are done; an error or reset on one side destroys the other. */
export function splice(a: net.Socket, b: net.Socket, onClosed: () => void): void {
  let closed = 0;
  const onClose = () => {
    if (++closed === 2) onClosed();
  };
  a.once('close', onClose);
  b.once('close', onClose);
  a.once('error', () => b.destroy());
  b.once('error', () => a.destroy());
  // One side gone: the other is half-closed, and destroyed if it has not closed within the grace.
  const closeOther = (other: net.Socket) => {
    if (other.destroyed) return;
    other.end();
    setTimeout(() => other.destroy(), HALF_CLOSE_GRACE_MS).unref();
  };
  a.once('close', () => closeOther(b));
  b.once('close', () => closeOther(a));
  a.pipe(b);
  b.pipe(a);
  a.resume();
  b.resume();
}
