// A TCP forwarder: every connection accepted on its listening socket is piped to the target of the
// moment, half-close and all; the connection is dropped when there is no target. `weftctl local`
// publishes the ingress gateway on the host with it (listening on an inherited socket), and the istiod
// e2e story carries a pod's xDS connections to istiod with it.
import net from 'node:net';

/** Where an accepted connection goes, asked per connection; undefined drops it. */
export type ForwardTarget = () => { readonly host: string; readonly port: number } | undefined;

export class TcpForwarder {
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(
    private readonly target: ForwardTarget,
    onError: ((e: Error) => void) | undefined,
  ) {
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.forward(client));
    if (onError) this.server.on('error', onError);
  }

  /**
   * Listens on `listen`: an inherited socket (`{ fd }`) or `{ host, port }` (port 0 picks a free one).
   * Rejects when it cannot listen; `onError` hears the listening socket's later errors.
   */
  static async listen(listen: net.ListenOptions | { readonly fd: number }, target: ForwardTarget, onError?: (e: Error) => void): Promise<TcpForwarder> {
    const f = new TcpForwarder(target, onError);
    await new Promise<void>((resolve, reject) => {
      f.server.once('error', reject);
      f.server.listen(listen, () => {
        f.server.off('error', reject);
        resolve();
      });
    });
    return f;
  }

  /** The address it listens on, `host:port`. */
  get address(): string {
    const a = this.server.address() as net.AddressInfo;
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  private forward(client: net.Socket): void {
    const to = this.target();
    if (!to) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: to.host, port: to.port, allowHalfOpen: true, noDelay: true });
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

  /** Stops accepting and ends the connections it carries. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
