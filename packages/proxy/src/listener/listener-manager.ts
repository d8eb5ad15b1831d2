// Binds and replaces listeners (static and LDS). Each accepted connection gets a filter chain
// (filter_chain_match) and is handed to that chain's network filter. A changed listener binds the
// new config first, then drains the old one; a removed listener stops accepting and drains.
import net from 'node:net';
import type { Listener__Output } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { ProxyErrors } from '../errors.js';
import { originalDestination, recordDestination } from './original-dst.js';

/** A terminal network filter instance (http_connection_manager, tcp_proxy) built from a filter chain. */
export interface NetworkFilter {
  onConnection(socket: net.Socket): void;
  /** Stops accepting new streams on existing connections and closes them when idle. */
  drain(): void;
}

export interface ConnectionLimits {
  /** The connection limit of a listener, if it has one. */
  readonly perListener?: (listener: string) => number | undefined;
  /** The process-wide limit on open downstream connections. */
  readonly global?: number;
  readonly onOverflow?: (listener: string, which: 'listener' | 'global') => void;
}

export interface ActiveFilterChain {
  readonly name: string;
  readonly filter: NetworkFilter;
}

/** Builds the runtime chains of a listener; owned by the server so that listener/ knows no filters. */
export interface ListenerFactory {
  build(listener: Listener__Output): { select(socket: net.Socket): ActiveFilterChain | undefined; chains: readonly ActiveFilterChain[] };
}

interface Active {
  readonly config: Listener__Output;
  readonly key: string;
  readonly server: net.Server | undefined;
  readonly chains: ReturnType<ListenerFactory['build']>;
  readonly address: string;
}

function addressOf(l: Listener__Output): { host: string; port: number } | undefined {
  const sa = l.address?.socket_address;
  if (!sa) return undefined;
  return { host: sa.address || '0.0.0.0', port: Number(sa.port_value ?? 0) };
}

export class ListenerManager {
  private readonly active = new Map<string, Active>();
  private readonly log: Logger;

  /** Open downstream connections per bound listener, and in total (for the connection limits). */
  private readonly open = new Map<string, number>();
  private openTotal = 0;

  constructor(
    private readonly factory: ListenerFactory,
    logger: Logger,
    private readonly onConnection?: (listener: string) => void,
    private readonly limits: ConnectionLimits = {},
  ) {
    this.log = moduleLogger(logger, 'listener-manager');
  }

  /** Open downstream connections over every listener (server.total_connections). */
  openConnections(): number {
    return this.openTotal;
  }

  names(): string[] {
    return [...this.active.keys()];
  }

  /** The bound address of a listener (`127.0.0.1:15001`), for admin and tests. */
  boundAddress(name: string): string | undefined {
    return this.active.get(name)?.address;
  }

  configs(): Listener__Output[] {
    return [...this.active.values()].map((a) => a.config);
  }

  /** Adds or replaces a listener. Throws a WeftError when the address cannot be bound. */
  async addOrUpdate(config: Listener__Output): Promise<void> {
    const key = JSON.stringify(config);
    const existing = this.active.get(config.name);
    if (existing?.key === key) return;
    const chains = this.factory.build(config);
    const addr = addressOf(config);
    // bind_to_port false (Istio's per-port outbound listeners): reached only by original-destination hand-off.
    const bind = addr !== undefined && config.bind_to_port?.value !== false;
    let server: net.Server | undefined;
    let address = addr ? `${addr.host}:${addr.port}` : '';
    if (bind && addr) {
      if (existing?.server && existing.address === `${addr.host}:${addr.port}` && addr.port !== 0) {
        // Same address: keep the socket, swap the chains (Envoy would hand the socket over too).
        server = existing.server;
        server.removeAllListeners('connection');
      } else {
        server = net.createServer({ pauseOnConnect: false, noDelay: true });
        try {
          await new Promise<void>((resolve, reject) => {
            server!.once('error', reject);
            server!.listen({ host: addr.host, port: addr.port, backlog: 1024 }, () => resolve());
          });
        } catch (e) {
          throw ProxyErrors.LISTENER_BIND([config.name, `${addr.host}:${addr.port}`, (e as Error).message], e);
        }
        const bound = server.address() as net.AddressInfo;
        address = `${bound.address}:${bound.port}`;
      }
      const useOriginalDst = config.use_original_dst?.value === true;
      const originalDstFilter = hasOriginalDstFilter(config);
      server.on('connection', (socket) => {
        if (!this.admit(config.name, socket)) return;
        if (useOriginalDst) this.acceptCaptured(config.name, chains, socket);
        else {
          // The original_dst listener filter (Istio's virtualInbound on 15006): the chains match on
          // where the connection was headed before iptables redirected it, not on the listener's port.
          if (originalDstFilter) {
            const dst = originalDestination(socket);
            if (dst) recordDestination(socket, dst);
          }
          this.accept(config.name, chains, socket);
        }
      });
      server.on('error', (e) => this.log.error({ err: e, listener: config.name }, 'listener error'));
    }
    this.active.set(config.name, { config, key, server, chains, address });
    if (existing) {
      if (existing.server && existing.server !== server) existing.server.close();
      for (const c of existing.chains.chains) c.filter.drain();
      this.log.info({ listener: config.name, address }, 'listener updated');
    } else {
      this.log.info({ listener: config.name, address }, 'listener added');
    }
  }

  /** Hands an accepted socket to a listener by name (use_original_dst hand-off). */
  handOff(name: string, socket: net.Socket): boolean {
    const a = this.active.get(name);
    if (!a) return false;
    this.accept(name, a.chains, socket);
    return true;
  }

  /** Listeners whose address (port) matches, for original-destination lookup. */
  findByPort(port: number, ip?: string): string | undefined {
    let wildcard: string | undefined;
    for (const [name, a] of this.active) {
      const addr = addressOf(a.config);
      if (!addr || addr.port !== port) continue;
      if (ip && addr.host === ip) return name;
      if (addr.host === '0.0.0.0' || addr.host === '::') wildcard ??= name;
    }
    return wildcard;
  }

  remove(name: string): void {
    const a = this.active.get(name);
    if (!a) return;
    this.active.delete(name);
    a.server?.close();
    for (const c of a.chains.chains) c.filter.drain();
    this.log.info({ listener: name }, 'listener removed');
  }

  /** Stops accepting everywhere and drains every chain. */
  drainAll(): void {
    for (const name of [...this.active.keys()]) this.remove(name);
  }

  /**
   * Envoy's connection limits: runtime `envoy.resource_limits.listener.<name>.connection_limit` per
   * listener and `overload.global_downstream_max_connections` for the process. Over a limit the new
   * connection is closed at once (stat downstream_cx_overflow); existing ones are untouched.
   */
  private admit(name: string, socket: net.Socket): boolean {
    const count = this.open.get(name) ?? 0;
    const limit = this.limits.perListener?.(name);
    const global = this.limits.global;
    if ((limit !== undefined && count >= limit) || (global !== undefined && this.openTotal >= global)) {
      socket.destroy();
      this.limits.onOverflow?.(name, limit !== undefined && count >= limit ? 'listener' : 'global');
      return false;
    }
    this.open.set(name, count + 1);
    this.openTotal++;
    socket.once('close', () => {
      this.open.set(name, (this.open.get(name) ?? 1) - 1);
      this.openTotal--;
    });
    return true;
  }

  /**
   * use_original_dst (Istio's virtualOutbound/virtualInbound): a connection iptables redirected here
   * goes to the listener bound to its original destination (exact address first, then 0.0.0.0 on the
   * port); with none, this listener's own chains take it, matching on the original destination.
   */
  private acceptCaptured(name: string, chains: ReturnType<ListenerFactory['build']>, socket: net.Socket): void {
    const dst = originalDestination(socket);
    if (dst) {
      recordDestination(socket, dst);
      const target = this.findByPort(dst.port, dst.address);
      const active = target && target !== name ? this.active.get(target) : undefined;
      if (active) {
        this.accept(target!, active.chains, socket);
        return;
      }
    }
    this.accept(name, chains, socket);
  }

  private accept(name: string, chains: ReturnType<ListenerFactory['build']>, socket: net.Socket): void {
    this.onConnection?.(name);
    const chain = chains.select(socket);
    if (!chain) {
      // Envoy closes connections that match no filter chain (stat no_filter_chain_match).
      socket.destroy();
      return;
    }
    chain.filter.onConnection(socket);
  }
}

const ORIGINAL_DST_NAMES = new Set(['envoy.filters.listener.original_dst', 'envoy.listener.original_dst']);
const ORIGINAL_DST_TYPE = 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst';

/** Whether the listener runs the original_dst listener filter (by name or typed_config). */
export function hasOriginalDstFilter(listener: Listener__Output): boolean {
  return (listener.listener_filters ?? []).some((f) => ORIGINAL_DST_NAMES.has(f.name) || f.typed_config?.type_url === ORIGINAL_DST_TYPE);
}
