// Real upstream servers for gateway stories, on 127.0.0.1 ephemeral ports: HTTP/1.1 servers that echo
// what they received (and record it), with behaviour per story, and TCP echo servers that prefix their name.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** What an upstream answers: a status, extra headers, and an optional delay before answering. */
export interface UpstreamReply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly delayMs?: number;
}

export interface HttpUpstream {
  readonly name: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly seen: SeenRequest[];
  /** Requests received with this x-request-id. */
  attempts(requestId: string): number;
  /** Connections accepted so far. */
  connections(): number;
  /** The most requests this upstream was handling at once. */
  peakConcurrency(): number;
  close(): Promise<void>;
}

/**
 * An HTTP/1.1 server answering JSON `{server, method, path, headers}` with header `x-upstream: <name>`.
 * `behaviour` decides status, headers and delay per request (default: 200 at once). A delayed answer
 * is dropped when the client goes away first (the proxy timed out).
 */
export async function httpUpstream(name: string, behaviour: (req: SeenRequest, history: Pick<HttpUpstream, 'attempts'>) => UpstreamReply = () => ({})): Promise<HttpUpstream> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let active = 0;
  let peak = 0;
  const history = { attempts: (id: string) => seen.filter((r) => r.headers['x-request-id'] === id).length };
  const server = http.createServer((req, res) => {
    const request: SeenRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers };
    seen.push(request);
    peak = Math.max(peak, ++active);
    res.on('close', () => active--);
    const reply = behaviour(request, history);
    const answer = () => {
      if (res.destroyed) return;
      const body = JSON.stringify({ server: name, ...request });
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'x-upstream': name, ...reply.headers });
      res.end(body);
    };
    req.resume();
    req.on('end', () => {
      if (!reply.delayMs) return answer();
      const timer = setTimeout(answer, reply.delayMs);
      res.on('close', () => clearTimeout(timer));
    });
  });
  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    attempts: history.attempts,
    connections: () => connections,
    peakConcurrency: () => peak,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface TcpEcho {
  readonly name: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** A TCP server that answers each chunk it reads with `<name>:<chunk>`. */
export async function tcpEcho(name: string): Promise<TcpEcho> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(`${name}:${d.toString('utf8')}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
