// How `weftctl local status|apply|down|exec` talk to a running `up`: HTTP with JSON bodies over a
// Unix socket in the state directory (mode 0600, so only root reaches it). The socket file is not
// bound to a network namespace, so the CLI in the host namespace reaches the node process.
import { chmod, rm } from 'node:fs/promises';
import http from 'node:http';
import type { PodStatus, ServiceStatus } from './cluster.js';

export interface StatusReport {
  readonly pods: readonly PodStatus[];
  readonly services: readonly ServiceStatus[];
  /** `127.0.0.1:8080 -> istio-ingressgateway:80` */
  readonly published: readonly string[];
  readonly pilot: { readonly grpc: string; readonly http: string };
  readonly ready: boolean;
}

export interface ApplyRequest {
  /** Raw documents (already validated by the CLI; validated again here) with their source names. */
  readonly files: readonly { readonly source: string; readonly text: string }[];
  readonly namespace: string;
  readonly wait: boolean;
  readonly timeoutMs: number;
}

export interface ApplyResponse {
  readonly ok: boolean;
  readonly lines: readonly string[];
  readonly errors: readonly string[];
}

export interface ControlHandlers {
  status(): StatusReport;
  apply(req: ApplyRequest): Promise<ApplyResponse>;
  shutdown(): void;
}

const MAX_BODY = 16 * 1024 * 1024;

export async function serveControl(socketPath: string, h: ControlHandlers): Promise<http.Server> {
  await rm(socketPath, { force: true });
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        try {
          if (req.method === 'GET' && req.url === '/status') return send(200, h.status());
          if (req.method === 'POST' && req.url === '/apply') return send(200, await h.apply(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ApplyRequest));
          if (req.method === 'POST' && req.url === '/shutdown') {
            send(202, { ok: true });
            h.shutdown();
            return;
          }
          send(404, { error: `no ${req.method} ${req.url}` });
        } catch (e) {
          send(500, { error: (e as Error).message });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  await chmod(socketPath, 0o600);
  return server;
}

/** A request to the running platform; rejects with ECONNREFUSED/ENOENT when none runs. */
export function controlRequest<T>(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as T & { error?: string };
          if ((res.statusCode ?? 500) >= 400) reject(new Error(parsed.error ?? `status ${res.statusCode}`));
          else resolve(parsed);
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from the local platform in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
