// pilot-agent's status server (Istio's :15020): GET /healthz/ready, POST /quitquitquit; and the
// readiness port (:15021) serving the same /healthz/ready alone.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from './readiness.js';

export interface StatusHandlers {
  readiness(): Promise<Readiness>;
  /** POST /quitquitquit: begin the termination sequence, as SIGTERM does. */
  quit(): void;
}

export type StatusPortKind = 'status' | 'readiness';

export class StatusServer {
  private readonly server: http.Server;

  constructor(private readonly handlers: StatusHandlers, private readonly kind: StatusPortKind) {
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  /** Listens on host:port; resolves with the bound address, rejects with the listen error. */
  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    return `${a.address}:${a.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://status').pathname;
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(body);
    };
    if (path === '/healthz/ready') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'use GET\n');
      const r = await this.handlers.readiness();
      return send(r.ready ? 200 : 503, `${r.reason}\n`);
    }
    if (path === '/quitquitquit' && this.kind === 'status') {
      // POST only, as Envoy's admin: a stray GET (a browser, a crawler) must not stop the pod.
      if (req.method !== 'POST') return send(405, 'This endpoint requires POST\n');
      send(200, 'OK\n');
      return this.handlers.quit();
    }
    return send(404, `unknown path ${path}; this port serves /healthz/ready${this.kind === 'status' ? ' and POST /quitquitquit' : ''}\n`);
  }
}
