// Binds and replaces listeners (static and LDS). Each accepted connection gets a filter chain
// (filter_chain_match) and is handed to that chain's network filter. A changed listener binds the
// new config first, then drains the old one; a removed listener stops accepting and drains. Every
// downstream connection is tracked with the listener generation that serves it, so the server's
// drain knows when none is left, and a drained generation's stragglers are closed after the drain time.
import net from 'node:net';
import type { Listener__Output } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { ProxyErrors } from '../errors.js';
import { originalDestination, recordDestination } from './original-dst.js';

/** A terminal network filter instance (http_connection_manager, tcp_proxy) built from a filter chain. */
export interface NetworkFilter {
  onConnection(socket: net.Socket): void;
  /**
   * Starts draining (idempotent): existing connections are asked to close (HTTP/1.1 `connection:
   * close`, HTTP/2 GOAWAY) and idle ones are closed; connections that still arrive are served the same way.
   */
  drain(): void;
}

export interface ConnectionLimits {
  /** The connection limit of a listener, if it has one. */
  readonly perListener?: (listener: string) => number | undefined;
  /** The process-wide limit on open downstream connections. */
  readonly global?: number;
  readonly onOverflow?: (listener: string, which: 'listener' | 'global') => void;
}

export interface ListenerDrainOptions {
  /** --drain-time-s: how long a removed, replaced or gracefully drained listener drains (default 600 s). */
  readonly timeMs?: number;
}

/** Which listeners /drain_listeners acts on, and how. */
export interface DrainListenersRequest {
  /** Only listeners with traffic_direction INBOUND (Envoy's `?inboundonly`). */
  readonly inboundOnly: boolean;
  /** Discourage connections for the drain time, then stop accepting (`?graceful`); else stop accepting at once. */
  readonly graceful: boolean;
}

export interface ActiveFilterChain {
  readonly name: string;
  readonly filter: NetworkFilter;
}

/** Builds the runtime chains of a listener; owned by the server so that listener/ knows no filters. */
export interface ListenerFactory {
  build(listener: Listener__Output): { select(socket: net.Socket): ActiveFilterChain | undefined; chains: readonly ActiveFilterChain[] };
}

/** One bound config of a listener, with the connections its chains serve. */
interface Generation {
  readonly config: Listener__Output;
  readonly key: string;
  readonly server: net.Server | undefined;
  readonly chains: ReturnType<ListenerFactory['build']>;
  readonly address: string;
  readonly connections: Set<net.Socket>;
  /** Its listen socket is open and hands connections to its chains. */
  accepting: boolean;
  /** Its chains were told to drain. */
  draining: boolean;
  /** The graceful drain's end, or the force-close of a retired generation's last connections. */
  timer: NodeJS.Timeout | undefined;
}

const DEFAULT_DRAIN_TIME_MS = 600_000;

function addressOf(l: Listener__Output): { host: string; port: number } | undefined {
  const sa = l.address?.socket_address;
  if (!sa) return undefined;
  return { host: sa.address || '0.0.0.0', port: Number(sa.port_value ?? 0) };
}

export class ListenerManager {
  private readonly active = new Map<string, Generation>();
  /** Generations no longer in `active` that still accept (never) or hold connections. */
  private readonly retired = new Set<Generation>();
  private readonly log: Logger;
  private readonly drainTimeMs: number;
  /** Every open downstream connection handed to a chain, over all generations. */
  private readonly connections = new Set<net.Socket>();
  private readonly idleWaiters = new Set<() => void>();
  /** After the server drain or /drain_listeners: LDS no longer starts or changes listeners in this scope. */
  private stopped: 'none' | 'inbound' | 'all' = 'none';

  /** Open downstream connections per bound listener, and in total (for the connection limits). */
  private readonly open = new Map<string, number>();
  private openTotal = 0;

  constructor(
    private readonly factory: ListenerFactory,
    logger: Logger,
    private readonly onConnection?: (listener: string) => void,
    private readonly limits: ConnectionLimits = {},
    drain: ListenerDrainOptions = {},
  ) {
    this.log = moduleLogger(logger, 'listener-manager');
    this.drainTimeMs = drain.timeMs ?? DEFAULT_DRAIN_TIME_MS;
  }

  /** Open downstream connections over every listener (server.total_connections). */
  openConnections(): number {
    return this.openTotal;
  }

  /** Listener generations draining (listener_manager.total_listeners_draining). */
  drainingListeners(): number {
    let n = 0;
    for (const g of this.active.values()) if (g.draining) n++;
    for (const g of this.retired) if (g.draining) n++;
    return n;
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
    if (this.isStopped(config)) {
      this.log.info({ listener: config.name }, 'listeners are stopped (draining); the listener is not started');
      return;
    }
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
      if (existing?.server && existing.accepting && existing.address === `${addr.host}:${addr.port}` && addr.port !== 0) {
        // Same address: keep the socket, swap the chains (Envoy would hand the socket over too).
        server = existing.server;
        server.removeAllListeners('connection');
        existing.accepting = false;
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
        server.on('error', (e) => this.log.error({ err: e, listener: config.name }, 'listener error'));
      }
    }
    const gen: Generation = { config, key, server, chains, address, connections: new Set(), accepting: server !== undefined, draining: false, timer: undefined };
    if (server) {
      const useOriginalDst = config.use_original_dst?.value === true;
      const originalDstFilter = hasOriginalDstFilter(config);
      server.on('connection', (socket: net.Socket) => {
        if (!this.admit(config.name, socket)) return;
        if (useOriginalDst) this.acceptCaptured(gen, socket);
        else {
          // The original_dst listener filter (Istio's virtualInbound on 15006): the chains match on
          // where the connection was headed before iptables redirected it, not on the listener's port.
          if (originalDstFilter) {
            const dst = originalDestination(socket);
            if (dst) recordDestination(socket, dst);
          }
          this.accept(gen, socket);
        }
      });
    }
    this.active.set(config.name, gen);
    if (existing) {
      // Envoy drains the old listener for the drain time, then closes what is left of it.
      this.retire(existing, { closeServer: existing.server !== server, drain: true, forceCloseAfterMs: this.drainTimeMs });
      this.log.info({ listener: config.name, address }, 'listener updated');
    } else {
      this.log.info({ listener: config.name, address }, 'listener added');
    }
  }

  /** Hands an accepted socket to a listener by name (use_original_dst hand-off). */
  handOff(name: string, socket: net.Socket): boolean {
    const a = this.active.get(name);
    if (!a) return false;
    this.accept(a, socket);
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

  /** LDS removed the listener: it stops accepting and drains; what is left after the drain time is closed. */
  remove(name: string): void {
    const a = this.active.get(name);
    if (!a) return;
    this.active.delete(name);
    this.retire(a, { closeServer: true, drain: true, forceCloseAfterMs: this.drainTimeMs });
    this.log.info({ listener: name }, 'listener removed');
  }

  /**
   * Envoy's POST /drain_listeners. Not graceful: the listeners stop accepting at once and their
   * connections carry on untouched. Graceful: they keep accepting while every connection is asked to
   * close for the drain time, then stop accepting. Either way LDS starts no more listeners in the scope.
   */
  drainListeners(request: DrainListenersRequest): void {
    if (this.stopped !== 'all') this.stopped = request.inboundOnly ? 'inbound' : 'all';
    for (const [name, gen] of [...this.active]) {
      if (request.inboundOnly && gen.config.traffic_direction !== 'INBOUND') continue;
      if (!request.graceful) {
        this.active.delete(name);
        this.retire(gen, { closeServer: true, drain: false });
        continue;
      }
      if (gen.draining) continue;
      this.drainChains(gen);
      gen.timer = setTimeout(() => {
        if (this.active.get(name) !== gen) return;
        this.active.delete(name);
        this.retire(gen, { closeServer: true, drain: true });
      }, this.drainTimeMs).unref();
    }
    this.log.info({ ...request, listeners: this.drainingListeners() }, 'draining listeners');
  }

  /**
   * The server drain (SIGTERM, /quitquitquit): every listener stops accepting now and every
   * connection is asked to close; whenIdle() tells when none is left.
   */
  shutdown(): void {
    this.stopped = 'all';
    for (const [name, gen] of [...this.active]) {
      this.active.delete(name);
      this.retire(gen, { closeServer: true, drain: true });
    }
    for (const gen of this.retired) this.drainChains(gen);
  }

  /** Resolves true once no downstream connection is open, or false when `timeoutMs` passes first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.connections.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(done);
        resolve(this.connections.size === 0);
      }, Math.max(0, timeoutMs));
      this.idleWaiters.add(done);
    });
  }

  /** Closes every downstream connection still open (the drain time is over); returns how many. */
  closeAllConnections(): number {
    const open = [...this.connections];
    for (const s of open) s.destroy();
    return open.length;
  }

  private isStopped(config: Listener__Output): boolean {
    return this.stopped === 'all' || (this.stopped === 'inbound' && config.traffic_direction === 'INBOUND');
  }

  private drainChains(gen: Generation): void {
    if (gen.draining) return;
    gen.draining = true;
    for (const c of gen.chains.chains) c.filter.drain();
  }

  /** Takes a generation out of service: it accepts no more and, when asked, drains; `forceCloseAfterMs` bounds its connections. */
  private retire(gen: Generation, how: { closeServer: boolean; drain: boolean; forceCloseAfterMs?: number }): void {
    clearTimeout(gen.timer);
    gen.timer = undefined;
    if (how.closeServer && gen.accepting) gen.server?.close();
    gen.accepting = false;
    if (how.drain) this.drainChains(gen);
    this.retired.add(gen);
    if (how.forceCloseAfterMs !== undefined && gen.connections.size > 0) {
      gen.timer = setTimeout(() => {
        this.log.info({ listener: gen.config.name, connections: gen.connections.size }, 'drain time is over; closing the drained listener\'s connections');
        for (const s of gen.connections) s.destroy();
      }, how.forceCloseAfterMs).unref();
    }
    this.settle(gen);
  }

  /** Forgets a retired generation once nothing of it is left. */
  private settle(gen: Generation): void {
    if (!this.retired.has(gen) || gen.accepting || gen.connections.size > 0) return;
    clearTimeout(gen.timer);
    this.retired.delete(gen);
  }

  private track(gen: Generation, socket: net.Socket): void {
    gen.connections.add(socket);
    this.connections.add(socket);
    socket.once('close', () => {
      gen.connections.delete(socket);
      this.connections.delete(socket);
      this.settle(gen);
      if (this.connections.size > 0) return;
      for (const w of [...this.idleWaiters]) w();
      this.idleWaiters.clear();
    });
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
  private acceptCaptured(gen: Generation, socket: net.Socket): void {
    const dst = originalDestination(socket);
    if (dst) {
      recordDestination(socket, dst);
      const target = this.findByPort(dst.port, dst.address);
      const active = target && target !== gen.config.name ? this.active.get(target) : undefined;
      if (active) {
        this.accept(active, socket);
        return;
      }
    }
    this.accept(gen, socket);
  }

  private accept(gen: Generation, socket: net.Socket): void {
    this.onConnection?.(gen.config.name);
    const chain = gen.chains.select(socket);
    if (!chain) {
      // Envoy closes connections that match no filter chain (stat no_filter_chain_match).
      socket.destroy();
      return;
    }
    this.track(gen, socket);
    chain.filter.onConnection(socket);
  }
}

const ORIGINAL_DST_NAMES = new Set(['envoy.filters.listener.original_dst', 'envoy.listener.original_dst']);
const ORIGINAL_DST_TYPE = 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst';

/** Whether the listener runs the original_dst listener filter (by name or typed_config). */
export function hasOriginalDstFilter(listener: Listener__Output): boolean {
  return (listener.listener_filters ?? []).some((f) => ORIGINAL_DST_NAMES.has(f.name) || f.typed_config?.type_url === ORIGINAL_DST_TYPE);
}
