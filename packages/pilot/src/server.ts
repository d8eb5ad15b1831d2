// The composition root of pilot-discovery: config source → debounce → snapshot → discovery → ADS,
// plus the debug and monitoring HTTP servers. Sockets and timers live here and in the sources.
import { loadProtoRegistry, type MeshConfig } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { createXdsServer, SnapshotCache, type Http2AdsTransport, type XdsServer } from '@weft/xds';
import Fastify, { type FastifyInstance } from 'fastify';
import { configDump } from './debug/config-dump.js';
import { createDebugServer } from './debug/debug-server.js';
import { MeshSnapshot } from './model/mesh-snapshot.js';
import { aggregateView, type ServiceRegistry } from './registry/service-registry.js';
import { configSetFrom } from './sources/config-set.js';
import type { ConfigSource, ConfigState } from './sources/config-source.js';
import { Debouncer } from './xds/debounce.js';
import { Discovery } from './xds/discovery.js';
import type { GeneratorSets } from './xds/generators.js';
import { createPilotMetrics, typeLabel, type PilotMetrics } from './xds/metrics.js';
import { pushRequest, type PushRequest } from './xds/push-request.js';
import { pushScope } from './xds/push-scope.js';

export interface PilotServerOptions {
  readonly logger: Logger;
  readonly mesh: MeshConfig;
  readonly domainSuffix: string;
  readonly source: ConfigSource;
  readonly registries: readonly ServiceRegistry[];
  readonly generators: GeneratorSets;
  /** host:port for ADS (plaintext gRPC). Port 0 picks a free port. */
  readonly grpcAddr: { host: string; port: number };
  readonly httpAddr?: { host: string; port: number };
  readonly monitoringAddr?: { host: string; port: number };
  readonly debounceAfterMs: number;
  /** PILOT_MAX_REQUESTS_PER_SECOND: new xDS streams admitted per second; 0 or unset: no limit. */
  readonly maxNewStreamsPerSecond?: number;
  /** Responses in flight at once across streams (PILOT_PUSH_THROTTLE; default 100, 0: no limit). */
  readonly maxConcurrentWrites?: number;
  readonly debounceMaxMs: number;
}

export interface ListeningAddresses {
  grpc: string;
  http?: string;
  monitoring?: string;
}

const EMPTY_STATE: ConfigState = { configs: [], rejected: [], revision: 0 };

export class PilotServer {
  readonly metrics: PilotMetrics = createPilotMetrics();
  readonly discovery: Discovery;
  private readonly log: Logger;
  private readonly registry = loadProtoRegistry();
  private readonly cache: SnapshotCache;
  private readonly xds: XdsServer;
  /** ADS on HTTP/2 (the xds package's own gRPC transport: shared responses written without a copy per stream). */
  private readonly ads: Http2AdsTransport;
  private readonly debounce: Debouncer;
  private debug: FastifyInstance | undefined;
  private monitoring: FastifyInstance | undefined;
  private state: ConfigState = EMPTY_STATE;
  private loaded = false;
  /** Open ADS streams that sent their first request (pilot_xds). */
  private streams = 0;
  /** Push start time per group, to measure convergence when the proxy ACKs. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly options: PilotServerOptions) {
    this.log = moduleLogger(options.logger, 'server');
    this.discovery = new Discovery({
      registry: this.registry,
      cache: (this.cache = new SnapshotCache({ nodeGroup: (node) => this.discovery.nodeGroup(node), logger: options.logger })),
      generators: options.generators,
      logger: options.logger,
      onPushed: (group, _types, request) => {
        if (request) this.pending.set(group, request.start);
      },
    });
    this.xds = createXdsServer({
      cache: this.cache,
      registry: this.registry,
      logger: options.logger,
      controlPlaneId: 'weft-pilot',
      ...(options.maxNewStreamsPerSecond ? { maxNewStreamsPerSecond: options.maxNewStreamsPerSecond } : {}),
      ...(options.maxConcurrentWrites !== undefined ? { maxConcurrentWrites: options.maxConcurrentWrites } : {}),
      callbacks: {
        // A count, not xds.connections().length: that builds every stream's status, on every open.
        onStreamOpen: (s) => {
          this.discovery.connect(s);
          this.metrics.xdsClients.set(++this.streams);
        },
        onStreamClose: (s) => {
          this.discovery.disconnect(s);
          this.metrics.xdsClients.set(--this.streams);
        },
        onResponse: (_s, r) => this.metrics.pushes.inc({ type: typeLabel(r.typeUrl) }),
        onAck: (s) => {
          // Not cache.groupOf(node): that parses the node again, on every ACK of every stream.
          const group = this.discovery.groupOfStream(s.id);
          if (group === undefined) return;
          const start = this.pending.get(group);
          if (start !== undefined) {
            this.metrics.convergence.observe((Date.now() - start) / 1000);
            this.pending.delete(group);
          }
        },
        onNack: (s, n) => {
          this.metrics.rejects.inc({ type: typeLabel(n.typeUrl) });
          this.log.warn({ node: s.node.id, type: typeLabel(n.typeUrl), rejectedVersion: n.rejectedVersion, error: n.errorDetail.message }, 'proxy rejected config (NACK)');
        },
      },
    });
    this.ads = this.xds.http2Transport({ maxSendMessageBytes: 64 * 1024 * 1024 });
    this.debounce = new Debouncer({
      afterMs: options.debounceAfterMs,
      maxMs: options.debounceMaxMs,
      onFire: (r) => this.metrics.debounceTime.observe((Date.now() - r.start) / 1000),
      push: async (r) => this.push(r),
    });
  }

  /** Loads config, builds the first snapshot, then serves. Resolves with the bound addresses. */
  async start(): Promise<ListeningAddresses> {
    this.state = await this.options.source.start((s) => {
      // The revision moves only when the config in force changed; a file that was rejected (or whose
      // rejection ended with its last good text) shows in /debug/configz and the gauge, with no push.
      const configsChanged = s.revision !== this.state.revision;
      this.state = s;
      this.metrics.configRejects.set(s.rejected.length);
      if (configsChanged) this.debounce.enqueue(pushRequest('config', Date.now()));
    });
    await this.push(pushRequest('startup', Date.now()));
    this.loaded = true;
    const grpcPort = await this.ads.listen(this.options.grpcAddr.host, this.options.grpcAddr.port);
    const out: ListeningAddresses = { grpc: `${this.options.grpcAddr.host}:${grpcPort}` };
    this.log.info({ address: out.grpc }, 'ADS (gRPC) listening');
    if (this.options.httpAddr) {
      this.debug = createDebugServer({
        ready: () => this.loaded,
        mesh: () => this.discovery.current(),
        configState: () => this.state,
        proxies: () => this.discovery.proxies(),
        connections: () => this.xds.connections(),
        latestVersion: (group, typeUrl) => this.cache.getSnapshot(group)?.typeVersion(typeUrl) ?? '',
        pushStatus: () => this.discovery.status(),
        configDump: (id) => this.configDumpFor(id),
      });
      out.http = await this.debug.listen({ host: this.options.httpAddr.host, port: this.options.httpAddr.port });
      this.log.info({ address: out.http }, 'debug HTTP listening');
    }
    if (this.options.monitoringAddr) {
      this.monitoring = Fastify({ logger: false });
      this.monitoring.get('/metrics', async (_req, reply) => reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics()));
      this.monitoring.get('/version', async () => ({ component: 'pilot-discovery', version: '0.1.0' }));
      out.monitoring = await this.monitoring.listen({ host: this.options.monitoringAddr.host, port: this.options.monitoringAddr.port });
      this.log.info({ address: out.monitoring }, 'monitoring HTTP listening');
    }
    return out;
  }

  async stop(): Promise<void> {
    this.debounce.stop();
    await this.options.source.stop();
    this.xds.closeAll('pilot shutting down');
    await this.ads.close();
    await this.debug?.close();
    await this.monitoring?.close();
  }

  /** Waits until queued config changes are pushed (tests and graceful shutdown). */
  async settled(): Promise<void> {
    await this.debounce.idle();
  }

  private async push(request: PushRequest): Promise<void> {
    const started = Date.now();
    try {
      const configs = configSetFrom(this.state.configs);
      const view = aggregateView(this.options.registries, configs);
      const mesh = new MeshSnapshot({
        version: `${new Date().toISOString()}/${this.state.revision}`,
        mesh: this.options.mesh,
        domainSuffix: this.options.domainSuffix,
        configs,
        services: view.services,
        instances: view.instances,
      });
      // Whether the change can be an endpoint-only (EDS) push is decided here, against what was last
      // pushed: the file source reports changes of whole files, not of endpoints.
      const addresses = new Set(this.discovery.proxies().flatMap((p) => p.proxy.ipAddresses));
      const scope = pushScope(this.discovery.current(), mesh, addresses);
      const effective: PushRequest = scope.full
        ? { ...request, full: true, ...(scope.types ? { types: scope.types } : {}) }
        : { ...request, full: false, edsUpdates: scope.edsUpdates };
      const status = await this.discovery.push(mesh, effective);
      this.metrics.services.set(mesh.services.length);
      this.metrics.virtualServices.set(configs.virtualServices.length);
      this.metrics.pushTime.observe({ type: 'all' }, (Date.now() - started) / 1000);
      if (status.inconsistent.length + status.failed.length > 0) this.metrics.internalErrors.inc(status.inconsistent.length + status.failed.length);
      this.log.info(
        { version: mesh.version, reasons: [...request.reasons], scope: status.scope, ...(scope.full ? { why: scope.reason, ...(scope.types ? { types: status.types } : {}) } : { edsUpdates: status.edsUpdates.length }), groups: status.groups, groupsChanged: status.groupsChanged, ms: Date.now() - started },
        'push',
      );
    } catch (e) {
      this.metrics.internalErrors.inc();
      this.log.error({ err: e }, 'push failed; proxies keep their last config');
    }
  }

  private configDumpFor(id: string): unknown | undefined {
    const connected = this.discovery.findProxy(id);
    const mesh = this.discovery.current();
    if (!connected || !mesh) return undefined;
    const resources = this.discovery.generate(connected.proxy, mesh);
    const snapshot = this.cache.getSnapshot(connected.group);
    const versions = new Map([...resources.keys()].map((t) => [t, snapshot?.typeVersion(t) ?? '']));
    return configDump(this.registry, resources, versions);
  }
}
