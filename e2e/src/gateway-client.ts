// A downstream client for gateway stories: the same request over HTTP/1.1 (keep-alive) or HTTP/2
// with prior knowledge (h2c, one multiplexed session), answered in one shape for both.
import http from 'node:http';
import http2 from 'node:http2';

export type Protocol = 'HTTP/1.1' | 'HTTP/2';
export const PROTOCOLS: readonly Protocol[] = ['HTTP/1.1', 'HTTP/2'];

export interface Exchange {
  readonly method?: string;
  readonly path: string;
  /** Defaults to `web.example.com`. */
  readonly authority?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** From sending the request to the end of the response. */
  readonly ms: number;
}

export interface GatewayClient {
  send(protocol: Protocol, exchange: Exchange): Promise<Reply>;
  close(): void;
}

/** `maxSockets` bounds the HTTP/1.1 connections (and so the concurrency) of this client. */
export function gatewayClient(port: number, maxSockets = 16): GatewayClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  let session: http2.ClientHttp2Session | undefined;
  const h2 = () => {
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', () => undefined);
    }
    return session;
  };
  return {
    send: (protocol, x) => (protocol === 'HTTP/2' ? sendH2(h2(), x) : sendH1(agent, port, x)),
    close: () => {
      agent.destroy();
      session?.close();
    },
  };
}

function sendH1(agent: http.Agent, port: number, x: Exchange): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: x.method ?? 'GET', path: x.path, headers: { host: x.authority ?? 'web.example.com', ...x.headers }, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(x.body);
  });
}

function sendH2(session: http2.ClientHttp2Session, x: Exchange): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': x.method ?? 'GET', ':path': x.path, ':authority': x.authority ?? 'web.example.com', ...x.headers }, { endStream: x.body === undefined });
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    let body = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = Object.fromEntries(Object.entries(h).filter(([k]) => !k.startsWith(':'))) as Record<string, string | string[] | undefined>;
    });
    stream.setEncoding('utf8').on('data', (d: string) => (body += d));
    stream.on('end', () => resolve({ status, headers, body, ms: performance.now() - started }));
    stream.on('error', reject);
    if (x.body !== undefined) stream.end(x.body);
  });
}

/** Sends `total` exchanges, `concurrency` at a time, and returns the replies in order. */
export async function sendMany(client: GatewayClient, protocol: Protocol, total: number, concurrency: number, exchange: (i: number) => Exchange): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < total; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, total - i) }, (_, j) => client.send(protocol, exchange(i + j)));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}
