// The admin API (Envoy's :15000): /ready, /server_info, /stats, /stats/prometheus, /config_dump,
// /clusters, /listeners, /memory, /quitquitquit, /healthcheck/fail|ok, /drain_listeners, /logging.
import http from 'node:http';
import v8 from 'node:v8';
import type { AddressInfo } from 'node:net';
import type { DrainListenersRequest } from '../listener/listener-manager.js';

export type ServerState = 'PRE_INITIALIZING' | 'INITIALIZING' | 'LIVE' | 'DRAINING';

/** What the admin pages read and do; the proxy server provides it. */
export interface AdminHandlers {
  state(): ServerState;
  serverInfo(): object;
  statsText(filter?: string, usedOnly?: boolean): Promise<string>;
  statsJson(filter?: string, usedOnly?: boolean): Promise<object>;
  prometheus(): Promise<string>;
  configDump(): unknown;
  clustersText(): string;
  clustersJson(): object;
  listeners(): object;
  /** Shuts the process down (POST /quitquitquit). */
  quit(): void;
  setHealthCheckFailed(failed: boolean): void;
  drainListeners(request: DrainListenersRequest): void;
  setLogLevel(level: string): boolean;
  logLevel(): string;
}

const MUTATING = new Set(['/quitquitquit', '/healthcheck/fail', '/healthcheck/ok', '/drain_listeners', '/logging']);

export class AdminServer {
  private readonly server: http.Server;

  constructor(private readonly h: AdminHandlers) {
    this.server = http.createServer((req, res) => {
      // A handler that throws answers 500 with what went wrong (the admin API is local and for operators).
      this.route(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${req.url ?? ''}: ${e instanceof Error ? e.message : String(e)}\n`);
      });
    });
  }

  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    return `${a.address}:${a.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    const send = (status: number, body: string, type = 'text/plain; charset=UTF-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache, max-age=0', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    const json = (value: unknown) => send(200, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
    // Envoy requires POST for mutating endpoints, so a stray GET (a browser, a crawler) changes nothing.
    if (MUTATING.has(path) && req.method !== 'POST') return send(405, 'This endpoint requires POST\n');
    const filter = url.searchParams.get('filter') ?? undefined;
    switch (path) {
      case '/ready': {
        const state = this.h.state();
        return send(state === 'LIVE' ? 200 : 503, `${state}\n`);
      }
      case '/server_info':
        return json(this.h.serverInfo());
      case '/stats': {
        // Envoy's `usedonly`: only stats that were ever written (pilot-agent's readiness asks for these).
        const usedOnly = url.searchParams.has('usedonly');
        return url.searchParams.get('format') === 'json' ? json(await this.h.statsJson(filter, usedOnly)) : send(200, await this.h.statsText(filter, usedOnly));
      }
      case '/stats/prometheus':
        return send(200, await this.h.prometheus(), 'text/plain; version=0.0.4');
      case '/config_dump':
        return json(this.h.configDump());
      case '/clusters':
        return url.searchParams.get('format') === 'json' ? json(this.h.clustersJson()) : send(200, this.h.clustersText());
      case '/listeners':
        return json(this.h.listeners());
      case '/memory':
        return json(memory());
      case '/quitquitquit':
        send(200, 'OK\n');
        return this.h.quit();
      case '/healthcheck/fail':
        this.h.setHealthCheckFailed(true);
        return send(200, 'OK\n');
      case '/healthcheck/ok':
        this.h.setHealthCheckFailed(false);
        return send(200, 'OK\n');
      case '/drain_listeners':
        // Envoy's query flags; `skip_exit` is accepted and changes nothing (this endpoint never exits).
        this.h.drainListeners({ inboundOnly: url.searchParams.has('inboundonly'), graceful: url.searchParams.has('graceful') });
        return send(200, 'OK\n');
      case '/logging': {
        const level = url.searchParams.get('level');
        if (level && !this.h.setLogLevel(level)) return send(404, `unknown level ${level}\n`);
        return send(200, `active loggers:\n  weft-proxy: ${this.h.logLevel()}\n`);
      }
      case '/':
        return send(200, ['/ready', '/server_info', '/stats', '/stats/prometheus', '/config_dump', '/clusters', '/listeners', '/memory', '/quitquitquit', '/healthcheck/fail', '/healthcheck/ok', '/drain_listeners', '/logging'].join('\n') + '\n');
      default:
        return send(404, `invalid path. admin commands are: / for the list\n`);
    }
  }
}

/**
 * Envoy's /memory (admin.v3.Memory, uint64 fields as JSON strings), for this process: `allocated`
 * is the JavaScript heap in use plus memory outside it (Buffers), `heap_size` the heap V8 holds,
 * `pageheap_free` the part of it not in use, `total_physical_bytes` the resident set; tcmalloc's
 * `pageheap_unmapped` and `total_thread_cache` have no counterpart and are 0.
 */
function memory(): Record<string, string> {
  const m = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  return {
    allocated: String(m.heapUsed + m.external),
    heap_size: String(heap.total_heap_size),
    pageheap_unmapped: '0',
    pageheap_free: String(Math.max(0, heap.total_heap_size - heap.used_heap_size)),
    total_thread_cache: '0',
    total_physical_bytes: String(m.rss),
  };
}
