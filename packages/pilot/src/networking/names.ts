// Every name Pilot generates, built in one place (Istio's model.BuildSubsetKey and friends).

export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const INBOUND_PASSTHROUGH_CLUSTER_IPV4 = 'InboundPassthroughClusterIpv4';
export const VIRTUAL_OUTBOUND_LISTENER = 'virtualOutbound';
export const VIRTUAL_INBOUND_LISTENER = 'virtualInbound';
/** Catch-all virtual hosts for ALLOW_ANY / REGISTRY_ONLY. */
export const ALLOW_ANY_VIRTUAL_HOST = 'allow_any';
export const BLOCK_ALL_VIRTUAL_HOST = 'block_all';

export type Direction = 'inbound' | 'outbound';

/** `outbound|9080|v1|reviews.default.svc.cluster.local`; subset empty for the service-wide cluster. */
export function clusterName(direction: Direction, port: number, subset: string, host: string): string {
  return `${direction}|${port}|${subset}|${host}`;
}

export function outboundClusterName(port: number, host: string, subset = ''): string {
  return clusterName('outbound', port, subset, host);
}

/** The inbound cluster of a workload port: `inbound|9080||`. */
export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export function parseClusterName(name: string): { direction: Direction; port: number; subset: string; host: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || (parts[0] !== 'inbound' && parts[0] !== 'outbound')) return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port)) return undefined;
  return { direction: parts[0], port, subset: parts[2] as string, host: parts[3] as string };
}

/** `outbound_.9080_.v1_.reviews.default.svc.cluster.local`: default SNI for ISTIO_MUTUAL. */
export function dnsSrvSubsetKey(port: number, host: string, subset = ''): string {
  return `outbound_.${port}_.${subset}_.${host}`;
}

/** Listener names: `0.0.0.0_9080`, `10.96.0.5_3306`. */
export function listenerName(bind: string, port: number): string {
  return `${bind}_${port}`;
}

/** Sidecar outbound HTTP route config, one per port: `"9080"`. */
export function outboundRouteName(port: number): string {
  return String(port);
}

/** Gateway route configs: `http.80` for plain HTTP servers. */
export function gatewayHttpRouteName(port: number): string {
  return `http.${port}`;
}

/** Gateway route configs for a terminated HTTPS server: `https.443.https-bookinfo.bookinfo-gateway.default`. */
export function gatewayHttpsRouteName(port: number, portName: string, gateway: string, namespace: string): string {
  return `https.${port}.${portName}.${gateway}.${namespace}`;
}

/** Virtual host names: `reviews.default.svc.cluster.local:9080`. */
export function virtualHostName(host: string, port: number): string {
  return `${host}:${port}`;
}
