// Picks a listener's filter chain for an accepted socket. When a chain matches on SNI, ALPN or
// transport protocol (or the listener configures envoy.filters.listener.tls_inspector), the TLS
// inspector reads the ClientHello first; when the listener configures
// envoy.filters.listener.http_inspector, a plaintext connection's first bytes then tell its
// application protocol (http/1.0, http/1.1, h2c). The socket goes to the chain once they have
// decided — as listener filters do in Envoy before the filter chain is chosen — all within one
// listener_filters_timeout.
import type net from 'node:net';
import type { Listener__Output } from '@weft/api';
import type { Logger } from '@weft/base';
import { needsTlsInspector, type ConnectionInfo, type FilterChainMatcher, type MatchableChain } from '../listener/filter-chain-match.js';
import type { ActiveFilterChain } from '../listener/listener-manager.js';
import { destinationOf } from '../listener/original-dst.js';
import { DEFAULT_INSPECT_TIMEOUT_MS, inspectTls, type TlsInspection } from '../listener/tls-inspector.js';
import { inspectHttp, type HttpInspection } from '../extensions/filters/listener/http_inspector/http-inspector.js';
import type { StatScope } from '../stats/stat-store.js';
import { TlsTerminatingFilter } from '../tls/tls-terminating-filter.js';

const TLS_INSPECTOR_NAMES = new Set(['envoy.filters.listener.tls_inspector', 'envoy.listener.tls_inspector']);
const TLS_INSPECTOR_TYPE = 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';
const HTTP_INSPECTOR_NAMES = new Set(['envoy.filters.listener.http_inspector', 'envoy.listener.http_inspector']);
const HTTP_INSPECTOR_TYPE = 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector';

type Seen = Pick<ConnectionInfo, 'transportProtocol' | 'applicationProtocols' | 'serverName'>;
const RAW: Seen = { transportProtocol: 'raw_buffer', applicationProtocols: [] };

export interface ChainSelectorOptions<C extends MatchableChain> {
  readonly listener: Listener__Output;
  readonly chains: readonly C[];
  readonly matcher: FilterChainMatcher<C>;
  /** The runtime chain built from each config chain. */
  readonly built: ReadonlyMap<C, ActiveFilterChain>;
  readonly stats?: StatScope;
  readonly logger: Logger;
}

/** Whether the listener runs the TLS inspector: configured, or needed by its chains (Envoy adds it then). */
export function wantsTlsInspector(listener: Listener__Output, chains: readonly MatchableChain[]): boolean {
  const configured = (listener.listener_filters ?? []).some((f) => TLS_INSPECTOR_NAMES.has(f.name) || f.typed_config?.type_url === TLS_INSPECTOR_TYPE);
  return configured || needsTlsInspector(chains);
}

/** Whether the listener configures the HTTP inspector (Envoy never adds it by itself). */
export function wantsHttpInspector(listener: Listener__Output): boolean {
  return (listener.listener_filters ?? []).some((f) => HTTP_INSPECTOR_NAMES.has(f.name) || f.typed_config?.type_url === HTTP_INSPECTOR_TYPE);
}

export function createChainSelector<C extends MatchableChain>(o: ChainSelectorOptions<C>): (socket: net.Socket) => ActiveFilterChain | undefined {
  const pick = (socket: net.Socket, seen: Seen): ActiveFilterChain | undefined => {
    // The original destination when use_original_dst handed the socket over, else the local address.
    const destination = destinationOf(socket);
    const chosen = o.matcher.select({
      destinationPort: destination.port,
      destinationIp: destination.address,
      ...seen,
      sourceIp: socket.remoteAddress ?? '',
      sourcePort: socket.remotePort ?? 0,
    });
    return chosen ? o.built.get(chosen) : undefined;
  };
  const tlsInspector = wantsTlsInspector(o.listener, o.chains);
  const httpInspector = wantsHttpInspector(o.listener);
  if (!tlsInspector && !httpInspector) {
    return (socket) => {
      // Traffic never crashes the proxy: until the chain's filter attaches its own handlers (HTTP
      // AUTO waits for the first byte), a reset must close this socket, not go unhandled.
      socket.on('error', () => socket.destroy());
      return pick(socket, RAW);
    };
  }
  const name = tlsInspector ? `${o.listener.name}#tls_inspector` : `${o.listener.name}#http_inspector`;
  const inspecting: ActiveFilterChain = { name, filter: new InspectingFilter(o, pick, tlsInspector, httpInspector) };
  return () => inspecting;
}

/** The pseudo network filter that runs the inspectors, then hands the socket to the chosen chain. */
class InspectingFilter<C extends MatchableChain> {
  private readonly timeoutMs: number;
  private readonly continueOnTimeout: boolean;

  constructor(
    private readonly o: ChainSelectorOptions<C>,
    private readonly pick: (socket: net.Socket, seen: Seen) => ActiveFilterChain | undefined,
    private readonly tls: boolean,
    private readonly http: boolean,
  ) {
    const t = o.listener.listener_filters_timeout;
    this.timeoutMs = t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : DEFAULT_INSPECT_TIMEOUT_MS;
    this.continueOnTimeout = o.listener.continue_on_listener_filters_timeout ?? false;
  }

  onConnection(socket: net.Socket): void {
    // Traffic never crashes the proxy: a reset while (or after) inspecting just closes this socket.
    socket.on('error', () => socket.destroy());
    if (!this.tls) return this.inspectHttp(socket, RAW, Date.now() + this.timeoutMs);
    const deadline = Date.now() + this.timeoutMs;
    inspectTls(socket, { timeoutMs: this.timeoutMs }, (r) => this.inspected(socket, r, deadline));
  }

  drain(): void {
    // Sockets still being inspected finish within the inspector's timeout.
  }

  private inspected(socket: net.Socket, r: TlsInspection, deadline: number): void {
    const name = this.o.listener.name;
    if (r.kind === 'too-large') this.count('tls_inspector.client_hello_too_large');
    if (r.kind === 'timeout') this.count(`listener.${name}.downstream_pre_cx_timeout`);
    if (r.kind === 'too-large' || r.kind === 'closed' || (r.kind === 'timeout' && !this.continueOnTimeout)) {
      socket.destroy();
      return;
    }
    const seen: Seen = r.kind === 'done' ? r : RAW;
    if (r.kind === 'done') this.countFound(r);
    // Envoy's HTTP inspector sniffs plaintext only; a timed-out connection continues as it is.
    if (this.http && r.kind === 'done' && r.transportProtocol === 'raw_buffer') return this.inspectHttp(socket, seen, deadline);
    this.handOff(socket, seen);
  }

  /** The HTTP inspector, with what is left of the listener_filters_timeout. */
  private inspectHttp(socket: net.Socket, seen: Seen, deadline: number): void {
    const timeoutMs = this.timeoutMs > 0 ? Math.max(1, deadline - Date.now()) : 0;
    inspectHttp(socket, { timeoutMs }, (r: HttpInspection) => {
      if (r.kind !== 'done') return this.httpInspectorStopped(socket, seen, r.kind);
      const p = r.protocol;
      this.count(p === 'h2c' ? 'http_inspector.http2_found' : p === 'http/1.1' ? 'http_inspector.http11_found' : p === 'http/1.0' ? 'http_inspector.http10_found' : 'http_inspector.http_not_found');
      this.handOff(socket, p ? { ...seen, applicationProtocols: [p] } : seen);
    });
  }

  /** The peer closed (Envoy's read_error: the connection goes) or the listener_filters_timeout fired. */
  private httpInspectorStopped(socket: net.Socket, seen: Seen, kind: 'timeout' | 'closed'): void {
    if (kind === 'closed') this.count('http_inspector.read_error');
    else this.count(`listener.${this.o.listener.name}.downstream_pre_cx_timeout`);
    if (kind === 'closed' || !this.continueOnTimeout) {
      socket.destroy();
      return;
    }
    this.handOff(socket, seen);
  }

  private handOff(socket: net.Socket, seen: Seen): void {
    const name = this.o.listener.name;
    const chain = this.pick(socket, seen);
    if (!chain) {
      // Envoy closes connections that match no filter chain.
      this.count(`listener.${name}.no_filter_chain_match`);
      this.o.logger.debug({ listener: name, sni: seen.serverName, transport: seen.transportProtocol }, 'no filter chain matches');
      socket.destroy();
      return;
    }
    if (chain.filter instanceof TlsTerminatingFilter) {
      // The TLS socket reads the bytes put back by the inspector itself; resuming would lose them.
      chain.filter.onInspectedConnection(socket, seen.applicationProtocols);
      return;
    }
    // Resume before the hand-off: data flows from the next tick, after the filter has its listeners
    // (or has paused again, as tcp_proxy does until its upstream connects).
    socket.resume();
    chain.filter.onConnection(socket);
  }

  private countFound(r: Extract<TlsInspection, { kind: 'done' }>): void {
    if (r.transportProtocol !== 'tls') return this.count('tls_inspector.tls_not_found');
    this.count('tls_inspector.tls_found');
    this.count(r.serverName !== undefined ? 'tls_inspector.sni_found' : 'tls_inspector.sni_not_found');
    this.count(r.applicationProtocols.length > 0 ? 'tls_inspector.alpn_found' : 'tls_inspector.alpn_not_found');
  }

  private count(stat: string): void {
    this.o.stats?.counter(stat).inc();
  }
}
