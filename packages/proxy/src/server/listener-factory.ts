// Builds a listener's runtime filter chains from its config: filter_chain_match compiled once, and
// for each chain its terminal network filter (http_connection_manager with its HTTP filters, or
// tcp_proxy), behind TLS termination when the chain has a TLS transport_socket. Everything
// unsupported is reported with its path, so the LDS update is NACKed whole.
import net from 'node:net';
import type { FilterChain__Output, HttpConnectionManager__Output, Listener__Output, ProtoRegistry, TcpProxy__Output } from '@weft/api';
import { IssueCollector, type Logger, type ValidationResult } from '@weft/base';
import { createCorsFilter } from '../extensions/filters/http/cors/cors-filter.js';
import { createFaultFilter } from '../extensions/filters/http/fault/fault-filter.js';
import { routeTableOptions } from '../extensions/filters/http/route-table-options.js';
import { createRouterFilter } from '../extensions/filters/http/router/router-filter.js';
import { compileRouterConfig, type RouterMessage } from '../extensions/filters/http/router/router-config.js';
import { filterTypeUrl, unpackFilterConfig } from '../extensions/filters/filter-type.js';
import { createIstioHttpFilter, ISTIO_HTTP_FILTER_TYPES, type IstioHttpFilterDeps } from '../extensions/filters/http/istio-http-filters.js';
import { localPeerFrom } from '../extensions/filters/http/peer_metadata/peer-metadata-filter.js';
import { wrapNetworkFilters, type IstioNetworkFilterDeps } from '../extensions/filters/network/istio-network-filters.js';
import { compileHttpAccessLog, compileTcpAccessLog } from '../extensions/access_loggers/access-log.js';
import { http2SettingsFrom } from '../http/http2-settings.js';
import { HttpConnectionManager, type CompletedStream, type RouteSource } from '../http/connection-manager.js';
import type { HttpFilter } from '../http/http-filter.js';
import type { DrainSettings } from '../listener/drain-strategy.js';
import { compileFilterChainMatcher } from '../listener/filter-chain-match.js';
import type { ActiveFilterChain, ListenerFactory, NetworkFilter } from '../listener/listener-manager.js';
import { TcpProxyFilter } from '../network/tcp-proxy.js';
import type { RouteStore } from '../rds/route-store.js';
import type { StatScope } from '../stats/stat-store.js';
import { countNotEnforced } from '../config/not-enforced.js';
import { compileDownstreamTransportSocket } from '../tls/downstream-tls-context.js';
import type { SecretProviders } from '../tls/dynamic-tls.js';
import { TlsTerminatingFilter } from '../tls/tls-terminating-filter.js';
import { compileRouteConfiguration } from '../router/index.js';
import { optionalMs } from '../router/duration.js';
import type { ClusterLookup } from '../upstream/upstream-cluster.js';
import { createChainSelector } from './chain-selector.js';
import { compileHcmOptions } from './hcm-options.js';
import type { RoutedHashing } from './request-hash.js';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const CORS_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';

export interface ListenerFactoryDeps {
  readonly registry: ProtoRegistry;
  /** The secret manager: SDS-named certificates and validation contexts of TLS filter chains. */
  readonly secrets?: SecretProviders;
  readonly clusters: ClusterLookup;
  readonly routes: RouteStore;
  readonly hashing: RoutedHashing;
  readonly logger: Logger;
  readonly onHttpComplete: (statPrefix: string, done: CompletedStream) => void;
  /** For listener stats (`listener.<name>.ssl.*`, `tls_inspector.*`). */
  readonly stats?: StatScope;
  /** Counts config.accepted_not_enforced of applied listeners (false in a worker: its primary counts them). */
  readonly countConfig?: boolean;
  /** --drain-strategy and --drain-time-s, for the connection managers. */
  readonly drain?: DrainSettings;
  /** The bootstrap node: what istio.metadata_exchange tells peers about this proxy. */
  readonly node?: { readonly id?: string; readonly metadata?: object | null } | null;
}

type Built = { select(socket: net.Socket): ActiveFilterChain | undefined; chains: readonly ActiveFilterChain[] };

export class ProxyListenerFactory implements ListenerFactory {
  constructor(private readonly deps: ListenerFactoryDeps) {}

  private istioHttp: IstioHttpFilterDeps | undefined;

  /** Deps of the Istio HTTP filters; the node's exchange headers are encoded once. */
  private istioHttpDeps(): IstioHttpFilterDeps {
    const d = this.deps;
    const localPeer = localPeerFrom((struct) => d.registry.encode('google.protobuf.Struct', struct), d.node);
    return (this.istioHttp ??= { registry: d.registry, clusters: d.clusters, ...(d.stats ? { stats: d.stats } : {}), ...(localPeer ? { localPeer } : {}) });
  }

  private networkFilterDeps(): IstioNetworkFilterDeps {
    return { registry: this.deps.registry, ...(this.deps.stats ? { stats: this.deps.stats } : {}), ...(this.deps.node ? { node: this.deps.node } : {}) };
  }

  /** Throws only for configs that `check` would have rejected (a bug in the caller). */
  build(listener: Listener__Output): Built {
    const r = this.check(listener);
    if (!r.value) throw new Error(`listener ${listener.name} is invalid: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    // "Accepted, not enforced" fields and other warnings of the listener being applied: said and counted, not dropped.
    for (const w of r.warnings) this.deps.logger.warn({ path: w.path }, w.message);
    if (this.deps.countConfig !== false) countNotEnforced(this.deps.stats, r.warnings.map((w) => w.message));
    return r.value;
  }

  /** Validates and builds; every problem comes back with its path under the listener. */
  check(listener: Listener__Output): ValidationResult<Built> {
    const issues = new IssueCollector(`listener ${listener.name}`);
    if (listener.api_listener) issues.at('api_listener').error('API listeners are for gRPC clients, not the proxy');
    // Envoy refuses a socket address that is not an IP literal (a name would need a DNS lookup to bind).
    const bindAddress = listener.address?.socket_address?.address;
    if (bindAddress && net.isIP(bindAddress.replace(/^\[|\]$/g, '')) === 0) issues.at('address', 'socket_address', 'address').error(`'${bindAddress}' is not an IP address`);
    const chains = listener.filter_chains ?? [];
    const built = new Map<FilterChain__Output, ActiveFilterChain>();
    chains.forEach((fc, i) => {
      const chain = this.buildChain(fc, issues.at('filter_chains', i), `${listener.name}#${i}`, listener.name);
      if (chain) built.set(fc, chain);
    });
    let defaultChain: ActiveFilterChain | undefined;
    if (listener.default_filter_chain) {
      defaultChain = this.buildChain(listener.default_filter_chain, issues.at('default_filter_chain'), `${listener.name}#default`, listener.name);
      if (defaultChain) built.set(listener.default_filter_chain, defaultChain);
    }
    const matcher = compileFilterChainMatcher(chains, listener.default_filter_chain, 'filter_chains');
    for (const e of matcher.errors) issues.at(e.path).error(e.message);
    if (issues.errors.length > 0 || !matcher.value) return issues.result(undefined as never);
    const select = createChainSelector({ listener, chains, matcher: matcher.value, built, logger: this.deps.logger, ...(this.deps.stats ? { stats: this.deps.stats } : {}) });
    return issues.result<Built>({ chains: [...built.values()], select });
  }

  private buildChain(fc: FilterChain__Output, issues: IssueCollector, name: string, listenerName: string): ActiveFilterChain | undefined {
    const filters = fc.filters ?? [];
    const tls = compileDownstreamTransportSocket(fc.transport_socket, (a) => this.deps.registry.unpack(a), issues.at('transport_socket'), this.deps.secrets);
    if (filters.length === 0) {
      issues.at('filters').error('a filter chain needs a terminal filter (http_connection_manager or tcp_proxy)');
      return undefined;
    }
    const last = filters[filters.length - 1]!;
    const at = issues.at('filters', filters.length - 1);
    const type = last.typed_config?.type_url;
    let filter: NetworkFilter | undefined;
    if (type === HCM_TYPE) filter = this.connectionManager(this.deps.registry.unpack<HttpConnectionManager__Output>(last.typed_config!), at.at('typed_config'));
    else if (type === TCP_PROXY_TYPE) {
      const config = this.deps.registry.unpack<TcpProxy__Output>(last.typed_config!);
      const onClose = compileTcpAccessLog(config.access_log ?? [], { unpack: (a) => this.deps.registry.unpack(a), logger: this.deps.logger }, at.at('typed_config', 'access_log'));
      filter = new TcpProxyFilter({ config, clusters: this.deps.clusters, ...(onClose ? { onClose } : {}) });
    }
    else at.error(`network filter ${last.name} (${type ?? 'no typed_config'}) is not supported`);
    // The filters before the terminal one (istio.metadata_exchange) wrap it, inside TLS termination.
    if (filters.length > 1) filter = wrapNetworkFilters(filters.slice(0, -1), filter, this.networkFilterDeps(), issues.at('filters'));
    if (filter && tls) filter = this.terminateTls(filter, tls, listenerName);
    return filter ? { name, filter } : undefined;
  }

  private terminateTls(inner: NetworkFilter, tls: NonNullable<ReturnType<typeof compileDownstreamTransportSocket>>, listener: string): NetworkFilter {
    const stats = this.deps.stats;
    const unavailable = tls.unavailable;
    if (unavailable) {
      this.deps.logger.warn({ listener, reason: unavailable }, 'TLS filter chain cannot serve; its connections are closed');
      return {
        onConnection: (socket) => {
          stats?.counter(`listener.${listener}.ssl.connection_error`).inc();
          socket.destroy();
        },
        drain: () => inner.drain(),
      };
    }
    return new TlsTerminatingFilter({
      tls,
      inner,
      onHandshake: () => stats?.counter(`listener.${listener}.ssl.handshake`).inc(),
      onError: (reason) => {
        stats?.counter(`listener.${listener}.ssl.connection_error`).inc();
        this.deps.logger.debug({ listener, reason }, 'TLS connection refused');
      },
    });
  }

  private connectionManager(hcm: HttpConnectionManager__Output, issues: IssueCollector): NetworkFilter | undefined {
    let routes: RouteSource | undefined;
    if (hcm.route_specifier === 'rds' && hcm.rds) {
      const rdsName = hcm.rds.route_config_name;
      routes = { table: () => this.deps.routes.get(rdsName) };
    } else if (hcm.route_specifier === 'route_config' && hcm.route_config) {
      const compiled = compileRouteConfiguration(hcm.route_config, routeTableOptions(this.deps.registry));
      for (const e of compiled.errors) issues.at('route_config').at(e.path).error(e.message);
      const table = compiled.value;
      routes = { table: () => table };
    } else {
      issues.at('route_specifier').error('rds or route_config is required (scoped routes are not supported)');
    }
    const filters: HttpFilter[] = [];
    (hcm.http_filters ?? []).forEach((f, i) => {
      const type = filterTypeUrl(this.deps.registry, f.typed_config);
      if (type === ROUTER_TYPE) {
        const at = issues.at('http_filters', i, 'typed_config');
        const message = f.typed_config ? unpackFilterConfig<RouterMessage>(this.deps.registry, f.typed_config, (m) => at.error(m)) : undefined;
        const config = compileRouterConfig(message, at);
        filters.push(createRouterFilter({ clusters: this.deps.clusters, hashOf: this.deps.hashing.hashOf, config }));
      }
      else if (type === FAULT_TYPE) {
        const stats = this.deps.stats;
        const counters = stats ? { delays: stats.counter(`http.${hcm.stat_prefix}.fault.delays_injected`), aborts: stats.counter(`http.${hcm.stat_prefix}.fault.aborts_injected`) } : undefined;
        filters.push(createFaultFilter(this.deps.registry, this.deps.registry.unpack(f.typed_config!), Math.random, counters, issues.at('http_filters', i, 'typed_config')));
      }
      else if (type === CORS_TYPE) filters.push(createCorsFilter());
      else if (type !== undefined && f.typed_config && ISTIO_HTTP_FILTER_TYPES.has(type)) {
        const built = createIstioHttpFilter(type, f.typed_config, this.istioHttpDeps(), issues.at('http_filters', i));
        if (built) filters.push(built);
      }
      else if (!f.is_optional) issues.at('http_filters', i).error(`HTTP filter ${f.name} (${type ?? 'no typed_config'}) is not supported`);
    });
    if (filters.at(-1)?.name !== 'envoy.filters.http.router') issues.at('http_filters').error('the last HTTP filter must be the router');
    const logs = hcm.access_log ?? [];
    const dropped = logs.length > 0 ? this.deps.stats?.counter('access_log.dropped') : undefined;
    const accessLog = compileHttpAccessLog(logs, { unpack: (a) => this.deps.registry.unpack(a), logger: this.deps.logger, ...(dropped ? { dropped } : {}) }, issues.at('access_log'));
    const settings = compileHcmOptions(hcm, issues);
    if (issues.errors.length > 0 || !routes) return undefined;
    const codec = hcm.codec_type === 'HTTP1' || hcm.codec_type === 'HTTP2' ? hcm.codec_type : 'AUTO';
    const statPrefix = hcm.stat_prefix;
    const drainCloses = this.deps.stats?.counter(`http.${statPrefix}.downstream_cx_drain_close`);
    const drainTimeoutMs = optionalMs(hcm.drain_timeout);
    return new HttpConnectionManager({
      statPrefix,
      codec,
      routes,
      filters,
      settings,
      maxRequestHeadersKb: hcm.max_request_headers_kb?.value ?? 60,
      requestHeadersTimeoutMs: hcm.request_headers_timeout ? Number(hcm.request_headers_timeout.seconds) * 1000 + Math.floor(hcm.request_headers_timeout.nanos / 1e6) : 0,
      http2: http2SettingsFrom(hcm.http2_protocol_options),
      logger: this.deps.logger,
      ...(this.deps.drain ? { drain: this.deps.drain } : {}),
      ...(drainTimeoutMs !== undefined ? { drainTimeoutMs } : {}),
      ...(drainCloses ? { onDrainClose: () => drainCloses.inc() } : {}),
      onComplete: (done) => {
        // A stream abandoned before any response has no code class to count; it is still logged (code 0).
        if (done.status !== 0) this.deps.onHttpComplete(statPrefix, done);
        accessLog?.(done);
      },
    });
  }
}
