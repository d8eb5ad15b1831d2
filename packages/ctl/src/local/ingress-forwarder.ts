// Publishes the ingress gateway on the host: `up` binds the host address (127.0.0.1:8080 by default)
// in the host's network namespace and hands the listening socket to the node process, which accepts
// on it and connects each connection to the gateway pod. No route or rule is added to the host.
import type { Logger } from '@weft/base';
import { TcpForwarder } from './tcp-forwarder.js';

export interface Published {
  /** The inherited listening socket's file descriptor in this process. */
  readonly fd: number;
  /** What the host sees, e.g. 127.0.0.1:8080, for messages. */
  readonly hostAddress: string;
  /** The gateway Service port it reaches. */
  readonly port: number;
}

export class IngressForwarder {
  private readonly forwarders: TcpForwarder[] = [];

  constructor(
    private readonly published: readonly Published[],
    private readonly gatewayIp: () => string | undefined,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const p of this.published) {
      const toGateway = () => {
        const ip = this.gatewayIp();
        return ip ? { host: ip, port: p.port } : undefined;
      };
      const onError = (e: Error) => this.log.error({ err: e, address: p.hostAddress }, 'published port failed');
      this.forwarders.push(await TcpForwarder.listen({ fd: p.fd }, toGateway, onError));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.forwarders.map((f) => f.stop()));
  }
}
