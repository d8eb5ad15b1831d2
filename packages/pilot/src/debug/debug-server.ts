// Pilot's debug HTTP endpoints (Istio 1.1–1.4 port 8080): /ready and /debug/*.
import { formatIssue, type IstioConfig } from '@weft/api';
import type { StreamStatus } from '@weft/xds';
import Fastify, { type FastifyInstance } from 'fastify';
import type { MeshSnapshot } from '../model/mesh-snapshot.js';
import type { ConfigState } from '../sources/config-source.js';
import type { ConnectedProxy, PushStatus } from '../xds/discovery.js';
import { proxySyncRows, syncRows, type LatestVersion } from './syncz.js';

/** What the debug pages read; the server (composition root) provides it. */
export interface DebugState {
  ready(): boolean;
  mesh(): MeshSnapshot | undefined;
  configState(): ConfigState;
  proxies(): ConnectedProxy[];
  connections(): StreamStatus[];
  /** The version of a type Pilot holds now for a proxy group. */
  latestVersion: LatestVersion;
  pushStatus(): PushStatus | undefined;
  /** The ConfigDump Pilot would send `proxyID` (`pod.namespace` or node ID), or undefined if not connected. */
  configDump(proxyId: string): unknown | undefined;
}

function configEntry(c: IstioConfig) {
  return { apiVersion: c.apiVersion, kind: c.kind, metadata: c.metadata, spec: c.spec };
}

export function createDebugServer(state: DebugState): FastifyInstance {
  const app = Fastify({ logger: false });

  app.get('/ready', async (_req, reply) => (state.ready() ? reply.send('ready\n') : reply.code(503).send('not ready: config not loaded\n')));

  // ?proxyID= (`pod.namespace` or node ID): that proxy's rows only, each with per-resource ACK/NACK status.
  app.get<{ Querystring: { proxyID?: string } }>('/debug/syncz', async (req, reply) => {
    const id = req.query.proxyID;
    if (!id) return syncRows(state.connections(), state.proxies(), state.latestVersion);
    const rows = proxySyncRows(state.connections(), state.proxies(), id, state.latestVersion);
    if (rows === undefined) return reply.code(404).send({ error: 'Proxy not connected to this Pilot instance', proxyID: id });
    return rows;
  });

  app.get('/debug/configz', async () => {
    const s = state.configState();
    return {
      revision: s.revision,
      configs: s.configs.map(configEntry),
      rejected: s.rejected.map((r) => ({ source: r.source, at: r.at, errors: r.errors.map((e) => ({ path: e.path, message: e.message, line: e.line, formatted: formatIssue(e) })) })),
    };
  });

  app.get('/debug/adsz', async () =>
    state.proxies().map((p) => ({
      node: p.proxy.nodeId,
      proxy: p.proxy.id,
      type: p.proxy.type,
      namespace: p.proxy.namespace,
      labels: p.proxy.labels,
      generator: p.proxy.generator ?? 'envoy',
      group: p.group,
      connectedAt: p.connectedAt,
      streams: state
        .connections()
        .filter((c) => p.streams.has(c.stream.id))
        .map((c) => ({ id: c.stream.id, protocol: c.stream.protocol, peer: c.stream.peer, types: c.types })),
    })),
  );

  app.get('/debug/registryz', async () =>
    (state.mesh()?.services ?? []).map((s) => ({ ...s, attributes: { ...s.attributes, exportTo: [...s.attributes.exportTo] } })),
  );

  app.get('/debug/endpointz', async () =>
    (state.mesh()?.allInstances() ?? []).map((i) => ({ service: i.service.hostname, servicePort: i.servicePort, endpoint: i.endpoint })),
  );

  app.get('/debug/push_status', async () => state.pushStatus() ?? {});

  app.get<{ Querystring: { proxyID?: string } }>('/debug/config_dump', async (req, reply) => {
    const id = req.query.proxyID;
    if (!id) return reply.code(400).send('You must provide a proxyID in the query string\n');
    const dump = state.configDump(id);
    if (dump === undefined) return reply.code(404).send('Proxy not connected to this Pilot instance\n');
    return dump;
  });

  return app;
}
