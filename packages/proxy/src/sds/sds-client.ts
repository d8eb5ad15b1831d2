// A SecretDiscoveryService StreamSecrets client (SotW), as Envoy opens one per SDS config source:
// to pilot-agent on its Unix socket (Istio's `sds-grpc` cluster; Istio 1.3 and today's agents serve
// StreamSecrets). The names are those the TLS contexts ask for; each response is judged by the
// handler and ACKed (version_info, response_nonce) or NACKed (error_detail, last good version).
// The stream reconnects with backoff and re-requests every name.
import * as grpc from '@grpc/grpc-js';
import { grpcServiceDefinition, SDS_SERVICE, TypeUrl, type DiscoveryResponse__Output, type Node, type ProtoRegistry } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { Backoff, type BackoffOptions } from '@weft/xds';

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

type Call = grpc.ClientDuplexStream<object, DiscoveryResponse__Output>;

/** google.rpc.Code INVALID_ARGUMENT, which Envoy puts in a NACK's error_detail. */
const INVALID_ARGUMENT = 3;

export class SdsClient {
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly method: grpc.MethodDefinition<object, DiscoveryResponse__Output>;
  private client: grpc.Client | undefined;
  private call: Call | undefined;
  private names: string[] = [];
  private acceptedVersion = '';
  private lastNonce = '';
  private nodeSent = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SdsClientOptions) {
    this.log = moduleLogger(options.logger, 'sds.client');
    this.backoff = new Backoff(options.backoff);
    const method = grpcServiceDefinition(options.registry, SDS_SERVICE)['StreamSecrets'];
    if (!method) throw new Error(`${SDS_SERVICE} has no StreamSecrets method: the proto registry is incomplete`);
    this.method = method as grpc.MethodDefinition<object, DiscoveryResponse__Output>;
  }

  get target(): string {
    return this.options.target;
  }

  /** The names to watch (the full list, SotW); opens the stream on first use. */
  setNames(names: readonly string[]): void {
    const next = [...new Set(names)].sort();
    if (next.join('\n') === this.names.join('\n') && this.client) return;
    this.names = next;
    if (this.closed) return;
    if (!this.client) {
      this.client = new grpc.Client(this.options.target, grpc.credentials.createInsecure());
      this.open();
      return;
    }
    this.send();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.client?.close();
  }

  private send(error?: string): void {
    const call = this.call;
    if (!call) return;
    const node = this.nodeSent ? {} : { node: this.options.node };
    this.nodeSent = true;
    call.write({
      ...node,
      type_url: TypeUrl.Secret,
      resource_names: this.names,
      version_info: this.acceptedVersion,
      response_nonce: this.lastNonce,
      ...(error !== undefined ? { error_detail: { code: INVALID_ARGUMENT, message: error } } : {}),
    });
  }

  private open(): void {
    if (this.closed || !this.client) return;
    const { path, requestSerialize, responseDeserialize } = this.method;
    const call = this.client.makeBidiStreamRequest(path, requestSerialize, responseDeserialize) as Call;
    this.call = call;
    this.nodeSent = false;
    this.lastNonce = '';
    let ended = false;
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      if (this.call !== call) return;
      this.call = undefined;
      if (this.closed) return;
      const delay = this.backoff.next();
      this.log.info({ target: this.options.target, reason, delayMs: delay }, 'SDS stream ended; reconnecting');
      this.timer = setTimeout(() => this.open(), delay);
    };
    call.on('data', (r: DiscoveryResponse__Output) => this.onResponse(call, r));
    call.on('error', (e: grpc.ServiceError) => end(e.details || e.message));
    call.on('status', (s: grpc.StatusObject) => end(s.details || grpc.status[s.code] || 'ended'));
    call.on('end', () => end('server ended the stream'));
    // The first request of a stream carries the last accepted version, so the server can skip resending.
    this.send();
  }

  private onResponse(call: Call, response: DiscoveryResponse__Output): void {
    if (this.call !== call) return;
    this.backoff.reset();
    this.lastNonce = response.nonce;
    if (response.type_url && response.type_url !== TypeUrl.Secret) {
      this.send(`unexpected type_url ${response.type_url} on the SDS stream`);
      return;
    }
    const secrets: Array<{ name: string; value: Record<string, unknown> }> = [];
    let error: string | undefined;
    (response.resources ?? []).forEach((any, i) => {
      if (error) return;
      if (any.type_url !== TypeUrl.Secret) {
        error = `resources[${i}]: type ${any.type_url} is not a Secret`;
        return;
      }
      try {
        const value = this.options.registry.unpack<Record<string, unknown>>(any);
        secrets.push({ name: String(value['name'] ?? ''), value });
      } catch (e) {
        error = `resources[${i}]: cannot decode Secret: ${(e as Error).message}`;
      }
    });
    error ??= this.options.onResponse({ version: response.version_info, secrets });
    if (error === undefined) this.acceptedVersion = response.version_info;
    else this.log.warn({ target: this.options.target, version: response.version_info, error }, 'SDS update rejected');
    this.send(error);
  }
}
