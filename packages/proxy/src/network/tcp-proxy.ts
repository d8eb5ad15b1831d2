// envoy.filters.network.tcp_proxy: each downstream connection is piped to a host of the cluster
// (or of a weighted cluster), with the idle timeout (default 1 h) closing both sides. The upstream
// connect is bounded by the cluster's connect_timeout and retried on another host choice up to
// max_connect_attempts (then cluster.<name>.upstream_cx_connect_attempts_exceeded). A cluster's
// upstream network filters (istio.metadata_exchange) run on each upstream connection before piping.
import net from 'node:net';
import tls from 'node:tls';
import type { TcpProxy__Output } from '@weft/api';
import type { NetworkFilter } from '../listener/listener-manager.js';
import { destinationOf } from '../listener/original-dst.js';
import type { ClusterLookup, UpstreamHost } from '../upstream/upstream-cluster.js';

export interface TcpProxyOptions {
  readonly config: TcpProxy__Output;
  readonly clusters: ClusterLookup;
  readonly random?: () => number;
  readonly onConnect?: (cluster: string, ok: boolean) => void;
  /** Called once per downstream connection when it ends (the access_log hook). */
  readonly onClose?: (connection: TcpProxyConnection) => void;
}

/** An address pair read while the socket was open (a closed socket no longer knows its own). */
export interface TcpEndpoints {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/** A finished downstream connection, as the access log sees it. */
export interface TcpProxyConnection {
  /** For its byte counts (bytesRead, bytesWritten). */
  readonly downstream: net.Socket;
  readonly downstreamEndpoints: TcpEndpoints;
  readonly startedAt: number;
  readonly cluster: string | undefined;
  /** `10.0.0.1:9000`, once a host was chosen. */
  readonly upstreamHost: string | undefined;
  /** The upstream connection's local side, once connected. */
  readonly upstreamEndpoints: TcpEndpoints | undefined;
  /** Envoy's response flags: NC, UH, UO, UF. */
  readonly responseFlags: ReadonlySet<string>;
}

const endpoints = (s: net.Socket): TcpEndpoints => ({ remoteAddress: s.remoteAddress, remotePort: s.remotePort, localAddress: s.localAddress, localPort: s.localPort });

function pickCluster(config: TcpProxy__Output, random: () => number): string | undefined {
  if (config.cluster_specifier === 'cluster' || config.cluster) return config.cluster;
  const clusters = config.weighted_clusters?.clusters ?? [];
  const total = clusters.reduce((n, c) => n + (c.weight ?? 0), 0);
  if (total <= 0) return undefined;
  let pick = random() * total;
  for (const c of clusters) {
    pick -= c.weight ?? 0;
    if (pick < 0) return c.name;
  }
  return clusters.at(-1)?.name;
}

export class TcpProxyFilter implements NetworkFilter {
  private readonly live = new Set<net.Socket>();
  private readonly idleMs: number;

  constructor(private readonly options: TcpProxyOptions) {
    const idle = options.config.idle_timeout;
    this.idleMs = idle ? Number(idle.seconds) * 1000 + Math.floor(idle.nanos / 1e6) : 3_600_000;
  }

  onConnection(downstream: net.Socket): void {
    const random = this.options.random ?? Math.random;
    const name = pickCluster(this.options.config, random);
    const cluster = name ? this.options.clusters.get(name) : undefined;
    const host = cluster?.chooseHost({
      random,
      get originalDestination() {
        return destinationOf(downstream);
      },
    });
    const startedAt = Date.now();
    const flags = new Set<string>();
    const onClose = this.options.onClose;
    const downstreamEndpoints = onClose ? endpoints(downstream) : {};
    let upstreamEndpoints: TcpEndpoints | undefined;
    /** The host of the latest connect attempt. */
    let currentHost: UpstreamHost | undefined = host;
    const closed = () =>
      onClose?.({ downstream, downstreamEndpoints, startedAt, cluster: name, upstreamHost: currentHost ? `${currentHost.address}:${currentHost.port}` : undefined, upstreamEndpoints, responseFlags: flags });
    if (!cluster || !host) {
      flags.add(cluster ? 'UH' : 'NC');
      downstream.destroy();
      closed();
      return;
    }
    // A TLS cluster whose secrets cannot be loaded (SDS names) must never get plaintext: close, UF.
    const transport = cluster.transport ?? { kind: 'plaintext' as const };
    if (transport.kind === 'unavailable') {
      cluster.counters.upstream_cx_connect_fail.value++;
      flags.add('UF');
      this.options.onConnect?.(cluster.name, false);
      downstream.destroy();
      closed();
      return;
    }
    // Envoy's tcp_proxy checks max_connections (not max_requests) and counts upstream_cx_overflow.
    if (!cluster.tryStartConnection()) {
      cluster.counters.upstream_cx_overflow.value++;
      flags.add('UO');
      downstream.destroy();
      closed();
      return;
    }
    this.live.add(downstream);
    downstream.pause();
    const maxAttempts = Math.max(1, this.options.config.max_connect_attempts?.value ?? 1);
    const connectTimeoutMs = cluster.connectTimeoutMs ?? 5000;
    let current: net.Socket | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      cluster.finishConnection();
      this.live.delete(downstream);
      downstream.destroy();
      current?.destroy();
      closed();
    };
    downstream.once('error', finish);
    downstream.once('close', finish);
    // One connect attempt; a failed one (refused, reset, connect_timeout) tries again on a host
    // chosen anew, up to max_connect_attempts (Envoy's tcp_proxy).
    const attempt = (n: number, target: UpstreamHost) => {
      currentHost = target;
      target.begin();
      cluster.counters.upstream_cx_total.value++;
      const addr = { host: target.address, port: target.port, noDelay: true, ...(cluster.sourceAddress ? { localAddress: cluster.sourceAddress } : {}) };
      // With TLS the pipe starts once the handshake is done; a failed handshake is a connect failure (UF).
      // transport_socket_matches: the endpoint's own transport (mTLS to tlsMode=istio), else the cluster's.
      const own = target.transport ?? transport;
      if (own.kind === 'unavailable') {
        // Its secrets cannot be loaded: never plaintext instead (UF).
        cluster.counters.upstream_cx_connect_fail.value++;
        flags.add('UF');
        target.end();
        downstream.destroy();
        return;
      }
      const upstream = own.kind === 'tls' ? tls.connect({ ...own.options, ...addr }) : net.connect(addr);
      if (cluster.tcpKeepalive) upstream.setKeepAlive(true, cluster.tcpKeepalive.timeMs ?? 0);
      current = upstream;
      const connectEvent = own.kind === 'tls' ? 'secureConnect' : 'connect';
      let connected = false;
      let ended = false;
      const end = () => {
        if (ended) return false;
        ended = true;
        clearTimeout(timer);
        target.end();
        return true;
      };
      const failed = () => {
        if (!end()) return;
        upstream.destroy();
        // The downstream left first (finish destroyed this attempt): abandoned, not a connect failure.
        if (finished) return;
        cluster.counters.upstream_cx_connect_fail.value++;
        target.recordResult(0);
        // Envoy counts upstream_cx_connect_attempts_exceeded once the last allowed attempt failed
        // (with the default single attempt, on its one failure), not when no host is left to try.
        if (n >= maxAttempts) cluster.counters.upstream_cx_connect_attempts_exceeded.value++;
        const next = n < maxAttempts ? cluster.chooseHost({ random, get originalDestination() { return destinationOf(downstream); } }) : undefined;
        if (next) return attempt(n + 1, next);
        flags.add('UF');
        this.options.onConnect?.(cluster.name, false);
        finish();
      };
      const timer = setTimeout(failed, connectTimeoutMs);
      upstream.once(connectEvent, () => {
        if (ended || finished) return;
        connected = true;
        clearTimeout(timer);
        target.recordResult(200);
        if (onClose) upstreamEndpoints = endpoints(upstream);
        this.options.onConnect?.(cluster.name, true);
        // Cluster.filters (istio.metadata_exchange) go first: their frame is written before the
        // downstream's bytes, and the upstream is read back only once they took the peer's frame
        // off it. A hook that closes the upstream ends the connection through its 'close'.
        const hook = cluster.onUpstreamConnection;
        if (!hook) upstream.pipe(downstream);
        else
          hook(upstream, (ok) => {
            if (ok && !finished) upstream.pipe(downstream);
          });
        downstream.pipe(upstream);
        downstream.resume();
        if (this.idleMs > 0) {
          downstream.setTimeout(this.idleMs, finish);
          upstream.setTimeout(this.idleMs, finish);
        }
      });
      upstream.once('error', () => {
        // Node clears `connecting` before it emits a connect error, so the 'connect' event decides.
        if (!connected) return failed();
        end();
        finish();
      });
      upstream.once('close', () => {
        if (!connected) return failed();
        end();
        finish();
      });
    };
    attempt(1, host);
  }

  drain(): void {
    // Existing connections run to completion (Envoy drains TCP listeners by not accepting new ones).
  }

  /** Closes every proxied connection (shutdown). */
  closeAll(): void {
    for (const s of this.live) s.destroy();
  }
}
