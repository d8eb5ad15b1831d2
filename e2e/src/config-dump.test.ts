// Story: the gateway's /config_dump is what Pilot generated from the Istio YAML — a golden of the
// proxy's dump (ports, versions, timestamps and temp paths normalised; UPDATE_GOLDEN=1 rewrites it)
// and the same listener, route and cluster names in the proxy as in Pilot's /debug/config_dump.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClient, type GatewayClient } from './gateway-client.js';
import { freePort, startGateway, type Gateway } from './gateway-fixture.js';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';
import { httpUpstream, type HttpUpstream } from './upstreams.js';
import { REPO_ROOT } from './workspace.js';

const GOLDEN = join(REPO_ROOT, 'e2e', 'src', 'testdata', 'gateway.config_dump.json');
const PROXY_ID = 'istio-ingressgateway-1.istio-system';

function config(ports: { http: number; https: number }, upstreams: { v1: number; v2: number }, cert: KeyPair): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: web, namespace: default}
spec:
  hosts: [web.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
  - {address: 127.0.0.1, ports: {http: ${upstreams.v1}}, labels: {version: v1}}
  - {address: 127.0.0.1, ports: {http: ${upstreams.v2}}, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web.default.svc.cluster.local
  trafficPolicy:
    connectionPool: {http: {http1MaxPendingRequests: 10}}
    outlierDetection: {consecutiveErrors: 3, interval: 5s, baseEjectionTime: 30s}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: dump-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${ports.http}, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: ["*"]
  - port: {number: ${ports.https}, name: https, protocol: HTTPS}
    bind: 127.0.0.1
    hosts: [web.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${cert.certPath}, privateKey: ${cert.keyPath}}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web.example.com]
  gateways: [dump-gateway]
  http:
  - match: [{uri: {prefix: /api/}, headers: {x-version: {exact: v2}}}]
    rewrite: {uri: /v2/}
    timeout: 2s
    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: 5xx}
    route: [{destination: {host: web.default.svc.cluster.local, subset: v2}}]
  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new}
  - route:
    - {destination: {host: web.default.svc.cluster.local, subset: v1}, weight: 90}
    - {destination: {host: web.default.svc.cluster.local, subset: v2}, weight: 10}
`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What legitimately differs between runs, by the value that stands in for it in the golden. */
interface Variables {
  readonly ports: ReadonlyMap<number, string>;
  readonly paths: ReadonlyMap<string, string>;
}

/** Keys whose values differ on every push (Envoy's version_info and last_updated). */
const VOLATILE_KEYS = new Set(['versionInfo', 'version_info', 'lastUpdated', 'last_updated']);

function portPattern(ports: ReadonlyMap<number, string>): RegExp {
  return new RegExp(`(?<![0-9])(${[...ports.keys()].join('|')})(?![0-9])`, 'g');
}

/** The lists of dynamic resources in a config dump, whose order Envoy does not define. */
const UNORDERED = new Set(['dynamicListeners', 'dynamicRouteConfigs', 'dynamicActiveClusters', 'dynamicWarmingClusters', 'dynamicEndpointConfigs']);

/** A dynamic resource's name, wherever its wrapper keeps it. */
function resourceName(entry: Json): string {
  const e = entry as Record<string, Record<string, Json> | undefined>;
  return String(e['name'] ?? e['routeConfig']?.['name'] ?? e['cluster']?.['name'] ?? e['endpointConfig']?.['clusterName'] ?? '');
}

/**
 * Ports become `<name-port>`, temp paths `<name>`, versions and timestamps go away, and dynamic
 * resources are sorted by their (normalised) names, so that a golden holds only what Pilot decided.
 */
function normalise(value: Json, vars: Variables): Json {
  const ports = portPattern(vars.ports);
  const walk = (v: Json): Json => {
    if (typeof v === 'number') return vars.ports.get(v) ?? v;
    if (typeof v === 'string') {
      let s = v;
      for (const [path, name] of vars.paths) s = s.split(path).join(name);
      return s.replace(ports, (p) => vars.ports.get(Number(p)) ?? p);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !VOLATILE_KEYS.has(k))
          .map(([k, x]) => {
            const out = walk(x);
            return [k, UNORDERED.has(k) && Array.isArray(out) ? out.sort((a, b) => resourceName(a).localeCompare(resourceName(b))) : out];
          }),
      );
    }
    return v;
  };
  return walk(value);
}

/** The config of one `@type` in a config dump. */
function section(dump: Json, type: string): Record<string, Json> {
  const configs = (dump as { configs: Record<string, Json>[] }).configs;
  const found = configs.find((c) => c['@type'] === `type.googleapis.com/envoy.admin.v3.${type}`);
  if (!found) throw new Error(`no ${type} in the config dump`);
  return found;
}

/** The dynamic resources of a config dump, by xDS type and name, with their contents. */
function dynamicResources(dump: Json): Record<'listeners' | 'routes' | 'clusters', Map<string, Json>> {
  const list = (s: Record<string, Json>, key: string) => (s[key] ?? []) as Record<string, Record<string, Json>>[];
  const byName = (entries: [string, Json][]) => new Map(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    listeners: byName(list(section(dump, 'ListenersConfigDump'), 'dynamicListeners').map((l) => [String(l['name']), l['activeState']?.['listener'] ?? null])),
    routes: byName(list(section(dump, 'RoutesConfigDump'), 'dynamicRouteConfigs').map((r) => [String((r['routeConfig'] as Record<string, Json>)['name']), r['routeConfig'] ?? null])),
    clusters: byName(list(section(dump, 'ClustersConfigDump'), 'dynamicActiveClusters').map((c) => [String((c['cluster'] as Record<string, Json>)['name']), c['cluster'] ?? null])),
  };
}

const pki = hasOpenssl() ? new TestPki() : undefined;
let gateway: Gateway | undefined;
let client: GatewayClient;
let upstreams: HttpUpstream[] = [];
let vars: Variables;

async function proxyDump(): Promise<Json> {
  return (await (await fetch(`http://${gateway!.admin}/config_dump`)).json()) as Json;
}

async function pilotDump(): Promise<Json> {
  const res = await fetch(`http://${gateway!.pilotHttp}/debug/config_dump?proxyID=${PROXY_ID}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

beforeAll(async () => {
  if (!pki) return;
  const cert = pki.leaf(pki.ca('Weft e2e CA'), 'web.example.com');
  const v1 = await httpUpstream('v1');
  const v2 = await httpUpstream('v2');
  upstreams = [v1, v2];
  const ports = { http: await freePort(), https: await freePort() };
  client = gatewayClient(ports.http);
  gateway = await startGateway({
    story: 'config-dump',
    config: config(ports, { v1: v1.port, v2: v2.port }, cert),
    ready: async () => (await client.send('HTTP/1.1', { path: '/' })).status === 200,
  });
  const [, pilotGrpc] = Object.entries(gateway.pilot.addresses).find(([m]) => m === 'ADS (gRPC) listening') ?? [];
  vars = {
    ports: new Map([
      [ports.http, '<http-port>'],
      [ports.https, '<https-port>'],
      [v1.port, '<v1-port>'],
      [v2.port, '<v2-port>'],
      [Number(pilotGrpc?.split(':')[1]), '<pilot-grpc-port>'],
    ]),
    paths: new Map([
      [pki.dir, '<pki-dir>'],
      [gateway.dir, '<gateway-dir>'],
    ]),
  };
}, 60_000);

afterAll(async () => {
  client?.close();
  await gateway?.stop();
  for (const u of upstreams) await u.close();
  pki?.dispose();
});

describe.skipIf(!pki)('gateway /config_dump', () => {
  it('matches the golden (e2e/src/testdata/gateway.config_dump.json; UPDATE_GOLDEN=1 rewrites it)', async () => {
    const actual = `${JSON.stringify(normalise(await proxyDump(), vars), null, 2)}\n`;
    if (process.env['UPDATE_GOLDEN'] === '1') await writeFile(GOLDEN, actual);
    expect(actual).toBe(await readFile(GOLDEN, 'utf8'));
  });

  it('holds the same listener, route and cluster names as Pilot generated for it', async () => {
    const proxy = dynamicResources(await proxyDump());
    const pilot = dynamicResources(await pilotDump());
    for (const kind of ['listeners', 'routes', 'clusters'] as const) {
      expect({ kind, names: [...proxy[kind].keys()] }).toEqual({ kind, names: [...pilot[kind].keys()] });
    }
    // The gateway's own resources, not just any: one listener and route per server, a cluster per subset.
    const [http, https] = [...vars.ports.entries()].slice(0, 2).map(([p]) => p);
    expect([...proxy.listeners.keys()].sort()).toEqual([`127.0.0.1_${http}`, `127.0.0.1_${https}`].sort());
    expect([...proxy.clusters.keys()]).toEqual(expect.arrayContaining(['outbound|80|v1|web.default.svc.cluster.local', 'outbound|80|v2|web.default.svc.cluster.local']));
  });

  it('holds exactly the resources Pilot sent, field for field', async () => {
    const proxy = dynamicResources(normalise(await proxyDump(), vars));
    const pilot = dynamicResources(normalise(await pilotDump(), vars));
    for (const kind of ['listeners', 'routes', 'clusters'] as const) {
      for (const [name, resource] of pilot[kind]) expect({ kind, name, resource: proxy[kind].get(name) }).toEqual({ kind, name, resource });
    }
  });
});
