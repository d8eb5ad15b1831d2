// pilot-agent's SecretDiscoveryService for its proxy, on a Unix domain socket (Istio's
// `./var/run/secrets/workload-spiffe-uds/socket`, reached through the bootstrap's `sds-grpc` cluster).
// It serves the secrets that need no CA: `file-cert:<cert>~<key>` and `file-root:<ca>`, read from
// the files those names carry and pushed again when the files change.
//
// StreamSecrets (state of the world): each response carries every ready secret the stream asks for,
// with a new version_info and nonce; a response goes out only when a secret of the stream is new to it
// or has changed since it was last sent on it, so an ACK (or a repeated request) is never answered
// with the same content, and a NACK (logged with its error_detail) is not answered with the content
// just refused. Requests with a stale response_nonce are ignored, as xDS servers do. DeltaSecrets
// works alike, per resource (version = a digest of the PEMs, so initial_resource_versions skip what
// the proxy already has). FetchSecrets answers once with what is readable now.
//
// Names that need Citadel (`default`, `ROOTCA`) or are malformed stay pending: a warning is logged
// once per name and the stream carries on (Envoy's initial_fetch_timeout decides what waits for them).
import { unlinkSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { grpcServiceDefinition, SDS_SERVICE, TypeUrl, type AnyMessage, type DeltaDiscoveryRequest__Output, type DiscoveryRequest__Output, type ProtoRegistry } from '@weft/api';
import { moduleLogger, type Logger, type WeftError } from '@weft/base';
import { AgentErrors } from '../errors.js';
import { loadFileSecret, type LoadedSecret } from './file-secret.js';
import { FileSecretSource, type SecretSubscription } from './file-secret-source.js';
import { parseSecretName, type SecretName } from './secret-names.js';
import { prepareSocketPath } from './sds-socket.js';

const SECRET_TYPE = 'envoy.extensions.transport_sockets.tls.v3.Secret';

export interface SdsServerOptions {
  /** The socket's absolute path. */
  readonly socketPath: string;
  readonly registry: ProtoRegistry;
  readonly logger: Logger;
  /** How often secret files are re-stat'ed besides directory events (default 2 s). */
  readonly pollIntervalMs?: number;
}

type StreamCall = grpc.ServerDuplexStream<DiscoveryRequest__Output, object>;
type DeltaCall = grpc.ServerDuplexStream<DeltaDiscoveryRequest__Output, object>;

interface Stream {
  readonly id: number;
  close(): void;
}

/** The fields of a SotW or Delta request that the shared stream scaffolding reads. */
type SdsRequest = Pick<DiscoveryRequest__Output, 'node' | 'type_url'>;

/** One SDS stream as its SotW or Delta handlers see it. */
interface SecretStream extends Stream {
  /** The proxy's node id, from the latest request that carried one. */
  node: string;
  /** The names the stream holds. */
  names(): string[];
  /** Holds a name (a no-op for one already held); names that are not served stay pending. */
  hold(name: string): void;
  /** Releases a held name. */
  drop(name: string): void;
  /** The held secrets that are loaded now. */
  ready(): LoadedSecret[];
}

interface StreamHandlers<R> {
  /** Called after a held secret changes (never after the stream ended). */
  push(): void;
  /** Called for each request of the Secret type (or with no type_url). */
  request(r: R): void;
}

export class SdsServer {
  private readonly log: Logger;
  private readonly source: FileSecretSource;
  private readonly streams = new Set<Stream>();
  private readonly warned = new Set<string>();
  private readonly packed = new WeakMap<LoadedSecret, AnyMessage>();
  private server: grpc.Server | undefined;
  private version = 0;
  private nonce = 0;
  private streamIds = 0;
  private closed = false;

  constructor(private readonly options: SdsServerOptions) {
    this.log = moduleLogger(options.logger, 'sds');
    this.source = new FileSecretSource({ logger: options.logger, ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}) });
  }

  get socketPath(): string {
    return this.options.socketPath;
  }

  /** Names whose files are being watched (held by at least one stream). */
  get watchedNames(): string[] {
    return this.source.watchedNames;
  }

  /** Binds the socket; rejects with WEFT_AGENT_SDS_LISTEN. */
  async start(): Promise<void> {
    const path = this.options.socketPath;
    const fail = (e: unknown): WeftError => AgentErrors.SDS_LISTEN([path, (e as NodeJS.ErrnoException).code ?? (e as Error).message], e);
    try {
      await prepareSocketPath(path);
    } catch (e) {
      throw fail(e);
    }
    const server = new grpc.Server();
    server.addService(grpcServiceDefinition(this.options.registry, SDS_SERVICE), {
      StreamSecrets: (call: StreamCall) => this.streamSecrets(call),
      DeltaSecrets: (call: DeltaCall) => this.deltaSecrets(call),
      FetchSecrets: (call: grpc.ServerUnaryCall<DiscoveryRequest__Output, object>, callback: grpc.sendUnaryData<object>) => callback(null, this.fetchSecrets(call.request)),
    });
    try {
      await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
    } catch (e) {
      server.forceShutdown();
      throw fail(e);
    }
    this.server = server;
    this.log.info({ socket: path }, 'SDS server listening');
  }

  /** Ends every stream, stops the server and removes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams]) s.close();
    this.source.close();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 1000);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    try {
      unlinkSync(this.options.socketPath);
    } catch {
      // Already gone.
    }
    this.log.info({ socket: this.options.socketPath }, 'SDS server closed');
  }

  /** Holds a served name for a stream; undefined (warned once) for a name that is not served. */
  private hold(name: string, onUpdate: () => void): SecretSubscription | undefined {
    const parsed = parseSecretName(name);
    if (parsed.kind === 'unserved' || parsed.kind === 'invalid') {
      this.warnUnserved(parsed);
      return undefined;
    }
    return this.source.subscribe(parsed, onUpdate);
  }

  private warnUnserved(parsed: Extract<SecretName, { kind: 'unserved' | 'invalid' }>): void {
    if (this.warned.has(parsed.name)) return;
    this.warned.add(parsed.name);
    this.log.warn({ secret: parsed.name, reason: parsed.reason }, parsed.kind === 'invalid' ? 'SDS secret name is malformed; it stays pending' : 'SDS secret is not served; it stays pending');
  }

  private pack(secret: LoadedSecret): AnyMessage {
    let any = this.packed.get(secret);
    if (!any) {
      any = this.options.registry.pack(SECRET_TYPE, secret.message);
      this.packed.set(secret, any);
    }
    return any;
  }

  private logNack(stream: number, node: string, version: string, nonce: string, detail: { code?: number; message?: string }): void {
    this.log.warn({ stream, node, version, nonce, errorCode: detail.code, error: detail.message }, 'the proxy rejected an SDS update (NACK)');
  }

  /**
   * The scaffolding that StreamSecrets and DeltaSecrets share: the stream's held names, its node id,
   * the type_url guard, and the release of what it held when it ends (or the server closes). `serve`
   * gives each request of the right type to the handlers that `make` builds for the stream; `push` is
   * called whenever a held secret changes, until the stream ends.
   */
  private serve<R extends SdsRequest>(call: grpc.ServerDuplexStream<R, object>, delta: boolean, make: (stream: SecretStream) => StreamHandlers<R>): void {
    const held = new Map<string, SecretSubscription | undefined>();
    let ended = false;
    const tag = delta ? { delta: true } : {};
    const release = () => {
      if (ended) return;
      ended = true;
      for (const sub of held.values()) sub?.close();
      held.clear();
      this.streams.delete(stream);
      this.log.info({ stream: stream.id, node: stream.node, ...tag }, 'SDS stream closed');
    };
    const stream: SecretStream = {
      id: ++this.streamIds,
      node: '',
      close: () => {
        release();
        call.end();
      },
      names: () => [...held.keys()],
      hold: (name) => {
        if (held.has(name)) return;
        held.set(
          name,
          this.hold(name, () => {
            if (!ended) handlers.push();
          }),
        );
      },
      drop: (name) => {
        held.get(name)?.close();
        held.delete(name);
      },
      ready: () => [...held.values()].flatMap((sub) => sub?.current() ?? []),
    };
    const handlers = make(stream);
    this.streams.add(stream);
    call.on('data', (r: R) => {
      if (ended) return;
      if (r.node?.id) stream.node = r.node.id;
      if (r.type_url && r.type_url !== TypeUrl.Secret) {
        this.log.warn({ stream: stream.id, node: stream.node, typeUrl: r.type_url }, 'request for another type on the SDS stream ignored');
        return;
      }
      handlers.request(r);
    });
    endWith(call, release);
  }

  private streamSecrets(call: StreamCall): void {
    this.serve(call, false, (stream) => {
      /** name → version last sent on this stream. */
      const sent = new Map<string, string>();
      let lastNonce = '';
      let opened = false;
      const push = () => {
        const ready = stream.ready();
        if (!ready.some((r) => sent.get(r.name) !== r.version)) return;
        const version = String(++this.version);
        lastNonce = String(++this.nonce);
        for (const r of ready) sent.set(r.name, r.version);
        this.log.info({ stream: stream.id, node: stream.node, version, nonce: lastNonce, secrets: ready.map((r) => r.name) }, 'SDS push');
        call.write({ version_info: version, nonce: lastNonce, type_url: TypeUrl.Secret, resources: ready.map((r) => this.pack(r)) });
      };
      const request = (r: DiscoveryRequest__Output) => {
        const node = stream.node;
        if (r.response_nonce !== '' && r.response_nonce !== lastNonce) {
          this.log.debug({ stream: stream.id, node, nonce: r.response_nonce, current: lastNonce }, 'stale SDS request ignored');
          return;
        }
        if (!opened) {
          opened = true;
          this.log.info({ stream: stream.id, node, secrets: r.resource_names, version: r.version_info }, 'SDS stream opened');
        }
        if (r.error_detail) this.logNack(stream.id, node, r.version_info, r.response_nonce, r.error_detail);
        else if (r.response_nonce !== '') this.log.debug({ stream: stream.id, node, version: r.version_info, nonce: r.response_nonce }, 'SDS ACK');
        const next = new Set(r.resource_names);
        for (const name of stream.names()) {
          if (next.has(name)) continue;
          stream.drop(name);
          sent.delete(name);
        }
        for (const name of next) stream.hold(name);
        push();
      };
      return { push, request };
    });
  }

  private deltaSecrets(call: DeltaCall): void {
    this.serve(call, true, (stream) => {
      /** name → the version the proxy has (sent on this stream, or declared in initial_resource_versions). */
      const known = new Map<string, string>();
      let first = true;
      const push = () => {
        const changed = stream.ready().filter((c) => known.get(c.name) !== c.version);
        if (changed.length === 0) return;
        const nonce = String(++this.nonce);
        const version = String(++this.version);
        for (const c of changed) known.set(c.name, c.version);
        this.log.info({ stream: stream.id, node: stream.node, version, nonce, secrets: changed.map((c) => c.name), delta: true }, 'SDS push');
        call.write({ system_version_info: version, nonce, type_url: TypeUrl.Secret, resources: changed.map((c) => ({ name: c.name, version: c.version, resource: this.pack(c) })) });
      };
      const request = (r: DeltaDiscoveryRequest__Output) => {
        if (first) {
          first = false;
          for (const [name, version] of Object.entries(r.initial_resource_versions ?? {})) known.set(name, version);
          this.log.info({ stream: stream.id, node: stream.node, secrets: r.resource_names_subscribe, delta: true }, 'SDS stream opened');
        }
        if (r.error_detail) this.logNack(stream.id, stream.node, '', r.response_nonce, r.error_detail);
        for (const name of r.resource_names_unsubscribe) {
          stream.drop(name);
          known.delete(name);
        }
        for (const name of r.resource_names_subscribe) stream.hold(name);
        push();
      };
      return { push, request };
    });
  }

  private fetchSecrets(r: DiscoveryRequest__Output): object {
    const resources: AnyMessage[] = [];
    for (const name of r.resource_names) {
      const parsed = parseSecretName(name);
      if (parsed.kind === 'unserved' || parsed.kind === 'invalid') {
        this.warnUnserved(parsed);
        continue;
      }
      const loaded = loadFileSecret(parsed);
      if (loaded.ok) resources.push(this.pack(loaded.secret));
      else {
        const error = AgentErrors.SDS_SECRET_FILE([name, loaded.path, loaded.reason]);
        this.log.error({ code: error.code, secret: name, path: loaded.path, reason: loaded.reason }, error.message);
      }
    }
    return { version_info: String(++this.version), nonce: String(++this.nonce), type_url: TypeUrl.Secret, resources };
  }
}

/** A stream that the proxy ends, cancels or breaks releases what it held (and an ended one is ended in turn). */
function endWith(call: { on(event: 'end' | 'cancelled' | 'error', listener: () => void): unknown; end(): void }, release: () => void): void {
  call.on('end', () => {
    release();
    call.end();
  });
  call.on('cancelled', release);
  call.on('error', release);
}
