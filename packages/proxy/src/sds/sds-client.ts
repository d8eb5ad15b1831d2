// A SecretDiscoveryService StreamSecrets client (SotW), as Envoy opens one per SDS config source:
// to pilot-agent on its Unix socket (Istio's `sds-grpc` cluster; Istio 1.3 and today's agents serve
// StreamSecrets). It is the ADS client of @weft/xds opened on SDS's StreamSecrets method, as Envoy's
// gRPC mux serves a per-type config source: the names are those the TLS contexts ask for; each response
// is judged by the handler and ACKed (version_info, response_nonce) or NACKed (error_detail, last good
// version); the stream reconnects with backoff and re-requests every name from the accepted version.
import type * as grpc from '@grpc/grpc-js';
import { grpcServiceDefinition, SDS_SERVICE, TypeUrl, type Node, type ProtoRegistry } from '@weft/api';
import type { Logger } from '@weft/base';
import { accept, AdsClient, reject, type BackoffOptions, type ResourceUpdate, type Verdict } from '@weft/xds';

/** One SDS response, decoded: the secrets it carries. */
export interface SecretsResponse {
  readonly version: string;
  readonly secrets: ReadonlyArray<{ readonly name: string; readonly value: Record<string, unknown> }>;
}

export interface SdsClientOptions {
  /** A gRPC target: `unix:./etc/istio/proxy/SDS`, `unix:///var/run/sds`, `127.0.0.1:8080`. */
  readonly target: string;
  readonly node: Node;
  readonly registry: ProtoRegistry;
  readonly logger: Logger;
  /** Judges a response: undefined to ACK, else the NACK's error message. */
  readonly onResponse: (response: SecretsResponse) => string | undefined;
  readonly backoff?: BackoffOptions;
}

export class SdsClient {
  private readonly ads: AdsClient;
  /** The names asked for; undefined until the stream is opened. */
  private names: string[] | undefined;
  private closed = false;

  constructor(private readonly options: SdsClientOptions) {
    const method = grpcServiceDefinition(options.registry, SDS_SERVICE)['StreamSecrets'];
    if (!method) throw new Error(`${SDS_SERVICE} has no StreamSecrets method: the proto registry is incomplete`);
    this.ads = new AdsClient({
      target: options.target,
      node: options.node,
      protocol: 'sotw',
      method: method as grpc.MethodDefinition<object, object>,
      registry: options.registry,
      logger: options.logger,
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  get target(): string {
    return this.options.target;
  }

  /** The names to watch (the full list, SotW); opens the stream on first use. */
  setNames(names: readonly string[]): void {
    const next = [...new Set(names)].sort();
    if (this.closed || (this.names && next.join('\n') === this.names.join('\n'))) return;
    const opening = this.names === undefined;
    this.names = next;
    if (!opening) {
      this.ads.setNames(TypeUrl.Secret, next);
      return;
    }
    this.ads.subscribe(TypeUrl.Secret, (update) => this.judge(update), next);
    this.ads.start();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ads.close();
  }

  private judge(update: ResourceUpdate): Verdict {
    const error = this.options.onResponse({ version: update.version, secrets: update.resources.map((r) => ({ name: r.name, value: r.value })) });
    return error === undefined ? accept() : reject(error);
  }
}
