// envoy.filters.network.tcp_proxy: each downstream connection is piped to a host of the cluster
// (or of a weighted cluster), with the idle timeout (default 1 h) closing both sides.
import net from 'node:net';
import tls from 'node:tls';
import type { TcpProxy__Output } from '@weft/api';
import type { NetworkFilter } from '../listener/listener-manager.js';
import { destinationOf } from '../listener/original-dst.js';
import type { ClusterLookup } from '../upstream/upstream-cluster.js';

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
    const closed = () =>
      onClose?.({ downstream, downstreamEndpoints, startedAt, cluster: name, upstreamHost: host ? `${host.address}:${host.port}` : undefined, upstreamEndpoints, responseFlags: flags });
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
    host.begin();
    cluster.counters.upstream_cx_total.value++;
    downstream.pause();
    const target = { host: host.address, port: host.port, noDelay: true, ...(cluster.sourceAddress ? { localAddress: cluster.sourceAddress } : {}) };
    // With TLS the pipe starts once the handshake is done; a failed handshake is a connect failure (UF).
    const upstream = transport.kind === 'tls' ? tls.connect({ ...transport.options, ...target }) : net.connect(target);
    const connectEvent = transport.kind === 'tls' ? 'secureConnect' : 'connect';
    this.live.add(downstream);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      host.end();
      cluster.finishConnection();
      this.live.delete(downstream);
      downstream.destroy();
      upstream.destroy();
      closed();
    };
    let connected = false;
    upstream.once(connectEvent, () => {
      connected = true;
      if (onClose) upstreamEndpoints = endpoints(upstream);
      this.options.onConnect?.(cluster.name, true);
      downstream.pipe(upstream);
      upstream.pipe(downstream);
      downstream.resume();
    });
    upstream.once('error', () => {
      // Node clears `connecting` before it emits a connect error, so the 'connect' event decides.
      if (!connected) {
        cluster.counters.upstream_cx_connect_fail.value++;
        flags.add('UF');
        host.recordResult(0);
        this.options.onConnect?.(cluster.name, false);
      }
      finish();
    });
    if (this.idleMs > 0) {
      downstream.setTimeout(this.idleMs, finish);
      upstream.setTimeout(this.idleMs, finish);
    }
    downstream.once('error', finish);
    downstream.once('close', finish);
    upstream.once('close', finish);
  }

  drain(): void {
    // Existing connections run to completion (Envoy drains TCP listeners by not accepting new ones).
  }

  /** Closes every proxied connection (shutdown). */
  closeAll(): void {
    for (const s of this.live) s.destroy();
  }
}
