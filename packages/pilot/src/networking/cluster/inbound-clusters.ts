// Inbound clusters of a sidecar (Istio 1.3 buildInboundClusters): `inbound|port||`, a STATIC
// cluster to the application on localhost for each workload port, or for each ingress listener
// of the proxy's Sidecar resource.
import type { Cluster, IstioIngressListener } from '@weft/api';
import { portProtocol } from '../../model/protocol.js';
import type { Service, ServiceInstance } from '../../model/service.js';
import type { GeneratorContext } from '../generator.js';
import { inboundClusterName } from '../names.js';
import { finishDraft, newDraft, setUpstreamProtocol } from './cluster-draft.js';
import { configMetadata, destinationRuleForService } from './destination-rule-lookup.js';
import { applyConnectionPool, applyTrafficPolicy, defaultTrafficPolicy } from './traffic-policy.js';

/** Where the sidecar forwards inbound traffic: the application on the pod's loopback. */
export const INBOUND_LOCALHOST = '127.0.0.1';
const UNIX_PREFIX = 'unix://';

/** endpoint.v3.LbEndpoint as the Cluster input type spells it. */
type LbEndpointInput = NonNullable<NonNullable<NonNullable<Cluster['load_assignment']>['endpoints']>[number]['lb_endpoints']>[number];

interface InboundTarget {
  readonly name: string;
  /** socket address, or a Unix socket path. */
  readonly address: { readonly host: string; readonly port: number } | { readonly pipe: string };
  readonly protocol: ReturnType<typeof portProtocol>;
  /** The service whose DestinationRule's connection pool also applies on the server side. */
  readonly service?: Service;
}

function lbEndpointTo(address: InboundTarget['address']): LbEndpointInput {
  if ('pipe' in address) return { endpoint: { address: { pipe: { path: address.pipe } } } };
  return { endpoint: { address: { socket_address: { address: address.host, port_value: address.port } } } };
}

function inboundCluster(ctx: GeneratorContext, target: InboundTarget): Cluster & { name: string } {
  const mesh = ctx.snapshot.mesh;
  const draft = newDraft(target.name, 'STATIC', 'inbound');
  draft.cluster.load_assignment = { cluster_name: target.name, endpoints: [{ lb_endpoints: [lbEndpointTo(target.address)] }] };
  applyTrafficPolicy(draft, defaultTrafficPolicy(mesh, 'STATIC'), { mesh });
  setUpstreamProtocol(draft, target.protocol, 'inbound');
  // Circuit breakers must be raised on the server side too, or the client's limits never bite;
  // only the connection pool makes sense inbound (no TLS, outlier detection or load balancing).
  const rule = target.service ? destinationRuleForService(ctx, target.service) : undefined;
  if (rule?.spec.trafficPolicy) {
    applyConnectionPool(draft, rule.spec.trafficPolicy.connectionPool, mesh);
    draft.cluster.metadata = configMetadata(rule);
  }
  return finishDraft(draft);
}

/**
 * The instances whose endpoint is this proxy, first one per workload port (Istio keeps the first).
 * UDP ports are left out: no inbound listener forwards them (Istio 1.3 built an unused cluster).
 */
export function proxyInstances(ctx: GeneratorContext): ServiceInstance[] {
  const ips = new Set(ctx.proxy.ipAddresses);
  const seen = new Set<number>();
  const out: ServiceInstance[] = [];
  const candidates = ctx.proxy.ipAddresses.length === 1 ? ctx.snapshot.instancesAt(ctx.proxy.ipAddresses[0]!) : ctx.snapshot.allInstances();
  for (const instance of candidates) {
    if (!ips.has(instance.endpoint.address) || instance.servicePort.protocol === 'UDP' || seen.has(instance.endpoint.port)) continue;
    seen.add(instance.endpoint.port);
    out.push(instance);
  }
  return out;
}

/** `127.0.0.1:8080` or `unix:///var/run/app.sock`; the IP part is not used (1.3 always targets localhost). */
function ingressTarget(listener: IstioIngressListener, instances: readonly ServiceInstance[]): InboundTarget | undefined {
  const number = listener.port?.number;
  if (number === undefined) return undefined;
  const target = listener.defaultEndpoint ?? '';
  let address: InboundTarget['address'];
  if (target.startsWith(UNIX_PREFIX)) address = { pipe: target.slice(UNIX_PREFIX.length) };
  else {
    const port = Number(target.slice(target.lastIndexOf(':') + 1));
    if (!target.includes(':') || !Number.isInteger(port)) return undefined;
    address = { host: INBOUND_LOCALHOST, port };
  }
  const service = instances.find((i) => i.endpoint.port === number)?.service;
  return {
    name: inboundClusterName(number),
    address,
    protocol: portProtocol(listener.port?.name, listener.port?.protocol),
    ...(service ? { service } : {}),
  };
}

/**
 * With ingress listeners in the Sidecar, exactly those; otherwise one per workload port, none in
 * interception mode NONE (there are no inbound listeners to feed them).
 */
export function inboundClusters(ctx: GeneratorContext): (Cluster & { name: string })[] {
  const instances = proxyInstances(ctx);
  const ingress = ctx.scope.sidecar?.spec.ingress ?? [];
  if (ingress.length > 0) {
    return ingress.flatMap((l) => {
      const target = ingressTarget(l, instances);
      return target ? [inboundCluster(ctx, target)] : [];
    });
  }
  if (ctx.proxy.metadata['INTERCEPTION_MODE'] === 'NONE') return [];
  return instances.map((i) =>
    inboundCluster(ctx, {
      name: inboundClusterName(i.endpoint.port),
      address: { host: INBOUND_LOCALHOST, port: i.endpoint.port },
      protocol: i.servicePort.protocol,
      service: i.service,
    }),
  );
}
