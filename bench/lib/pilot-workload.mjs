// The Pilot benchmark's workload (issue #10): N ServiceEntries with STATIC endpoints across 10
// namespaces, a DestinationRule with 2 subsets and a 90/10 VirtualService for every 10th service,
// the simulated proxies' node IDs, and the planned changes with the content that shows each arrived.
// The same objects go to Weft's Pilot as files and to istiod through the kube-apiserver.
// Addresses are data only: nothing ever connects to them.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

export const NAMESPACES = 10;
const API = 'networking.istio.io/v1alpha3';
const PORT = 80;
/** Istio's cluster names (`outbound|<port>|<subset>|<host>`). */
const clusterName = (host, subset = '') => `outbound|${PORT}|${subset}|${host}`;

/** 10.a.b.c for a number below 2^23 + offset; `first` is the second octet's base. */
function address(n, first) {
  if (n >= 127 * 65536) throw new Error(`too many addresses for the benchmark's ranges (${n})`);
  return `10.${first + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

const namespaceOf = (i) => `ns-${i % NAMESPACES}`;
const hostOf = (i) => `svc-${i}.${namespaceOf(i)}.svc.cluster.local`;
/** Every 10th service has a DestinationRule and a VirtualService. */
const routed = (i) => i % 10 === 0;

function serviceEntry(i, endpoints, replaced) {
  return {
    apiVersion: API,
    kind: 'ServiceEntry',
    metadata: { name: `svc-${i}`, namespace: namespaceOf(i) },
    spec: {
      hosts: [hostOf(i)],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      ports: [{ number: PORT, name: 'http', protocol: 'HTTP' }],
      // Endpoint addresses from 10.128.0.0 up; proxies are in 10.0.0.0/9, so no endpoint is a proxy's own.
      endpoints: Array.from({ length: endpoints }, (_, j) => ({
        address: j === 0 && replaced ? replaced : address(i * endpoints + j, 128),
        labels: { app: `svc-${i}`, version: j % 2 === 0 ? 'v1' : 'v2' },
      })),
    },
  };
}

function destinationRule(i) {
  return {
    apiVersion: API,
    kind: 'DestinationRule',
    metadata: { name: `svc-${i}`, namespace: namespaceOf(i) },
    spec: {
      host: hostOf(i),
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    },
  };
}

function virtualService(i, v1Weight) {
  return {
    apiVersion: API,
    kind: 'VirtualService',
    metadata: { name: `svc-${i}`, namespace: namespaceOf(i) },
    spec: {
      hosts: [hostOf(i)],
      http: [
        {
          route: [
            { destination: { host: hostOf(i), subset: 'v1' }, weight: v1Weight },
            { destination: { host: hostOf(i), subset: 'v2' }, weight: 100 - v1Weight },
          ],
        },
      ],
    },
  };
}

export const INITIAL_WEIGHT = 90;

/**
 * @param {{ services: number, proxies: number, endpoints: number, changes: number }} o
 */
export function workload(o) {
  if (o.changes > 8) throw new Error('--changes: at most 8 (each route change moves 10 % of the weight)');
  const objects = [];
  const edsNames = [];
  for (let i = 0; i < o.services; i++) {
    objects.push(serviceEntry(i, o.endpoints));
    edsNames.push(clusterName(hostOf(i)));
    if (routed(i)) {
      objects.push(destinationRule(i), virtualService(i, INITIAL_WEIGHT));
      edsNames.push(clusterName(hostOf(i), 'v1'), clusterName(hostOf(i), 'v2'));
    }
  }
  // The endpoint change goes to a service without subsets (svc-1): exactly one ClusterLoadAssignment changes.
  const epService = o.services > 1 ? 1 : 0;
  const endpointChanges = Array.from({ length: o.changes }, (_, k) => {
    const addr = `10.255.0.${k + 1}`;
    return { id: `ep-${k + 1}`, kind: 'endpoint', address: addr, object: serviceEntry(epService, o.endpoints, addr) };
  });
  // The route change goes to svc-0's VirtualService: 90/10 → 80/20 → 70/30 …
  const routeChanges = Array.from({ length: o.changes }, (_, k) => {
    const weight = INITIAL_WEIGHT - 10 * (k + 1);
    return { id: `rt-${k + 1}`, kind: 'route', weight, object: virtualService(0, weight) };
  });
  const proxies = Array.from({ length: o.proxies }, (_, p) => {
    const ns = namespaceOf(p);
    const ip = address(p + 1, 0);
    return {
      index: p,
      nodeId: `sidecar~${ip}~pod-${p}.${ns}~${ns}.svc.cluster.local`,
      cluster: `bench-client.${ns}`,
      metadata: { NAMESPACE: ns, CLUSTER_ID: 'Kubernetes', INSTANCE_IPS: ip, LABELS: { app: 'bench-client' }, POD_NAME: `pod-${p}` },
    };
  });
  return {
    objects,
    namespaces: Array.from({ length: NAMESPACES }, (_, k) => `ns-${k}`),
    edsNames,
    proxies,
    markers: {
      endpoint: { cluster: clusterName(hostOf(epService)), changes: endpointChanges.map(({ id, address: a }) => ({ id, address: a })) },
      route: { cluster: clusterName(hostOf(0), 'v1'), initialWeight: INITIAL_WEIGHT, changes: routeChanges.map(({ id, weight }) => ({ id, weight })) },
    },
    endpointChanges,
    routeChanges,
    counts: {
      serviceEntries: o.services,
      destinationRules: objects.filter((x) => x.kind === 'DestinationRule').length,
      virtualServices: objects.filter((x) => x.kind === 'VirtualService').length,
      edsClusters: edsNames.length,
    },
  };
}

/** Where an object lives in Weft's --configDir: one file per object, per namespace. */
export const configFile = (dir, obj) => join(dir, obj.metadata.namespace, `${obj.kind.toLowerCase()}-${obj.metadata.name}.yaml`);

/** Writes a file as editors and `kubectl cp` do: a temporary file (ignored: a dot name) renamed over the old. */
export async function writeConfigObject(dir, obj) {
  const file = configFile(dir, obj);
  await mkdir(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${obj.kind.toLowerCase()}-${obj.metadata.name}.tmp`);
  await writeFile(tmp, stringify(obj));
  await rename(tmp, file);
}
