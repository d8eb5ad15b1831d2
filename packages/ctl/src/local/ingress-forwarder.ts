// Publishes the ingress gateway on the host: `up` binds the host address (127.0.0.1:8080 by default)
// in the host's network namespace and hands the listening socket to the node process, which accepts
// on it and connects each connection to the gateway pod. No route or rule is added to the host.
import net from 'node:net';
import type { Logger } from '@weft/base';

export interface Published {
  /** The inherited listening socket's file descriptor in this process. */
  readonly fd: number;
  /** What the host sees, e.g. 127.0.0.1:8080, for messages. */
  readonly hostAddress: string;
  /** The gateway Service port it reaches. */
  readonly port: number;
}

export class IngressForwarder {
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly published: readonly Published[],
    private readonly gatewayIp: () => string | undefined,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const p of this.published) {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.forward(client, p));
      server.on('error', (e) => this.log.error({ err: e, address: p.hostAddress }, 'published port failed'));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ fd: p.fd }, () => resolve());
      });
      this.servers.push(server);
    }
  }

  private forward(client: net.Socket, p: Published): void {
    const ip = this.gatewayIp();
    if (!ip) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: ip, port: p.port, allowHalfOpen: true, noDelay: true });
    this.sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    for (const s of this.sockets) s.destroy();
  }
}
