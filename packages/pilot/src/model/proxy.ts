// A connected proxy as Pilot sees it, parsed from the xDS node: Istio's `type~ip~id~domain` node ID plus metadata.
import type { Result } from '@weft/base';

export type NodeType = 'sidecar' | 'router';

export interface Proxy {
  readonly type: NodeType;
  /** The raw node ID, e.g. `sidecar~10.1.0.5~reviews-v1-xyz.default~default.svc.cluster.local`. */
  readonly nodeId: string;
  /** `pod.namespace`, the ID used by /debug/config_dump?proxyID= and proxy-status. */
  readonly id: string;
  readonly ipAddresses: readonly string[];
  /** DNS domain of the proxy's namespace, e.g. `default.svc.cluster.local`. */
  readonly dnsDomain: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Node metadata as plain JSON. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `grpc` for proxyless gRPC clients (node metadata GENERATOR). */
  readonly generator?: string;
  readonly istioVersion?: string;
  /** `node.cluster` (the service cluster, e.g. `reviews.default`). */
  readonly serviceCluster: string;
  /** `region/zone/subzone`, from node.locality. */
  readonly locality?: string;
}

export interface NodeInput {
  readonly id: string;
  readonly cluster?: string;
  /** Node metadata converted from google.protobuf.Struct to plain JSON. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly locality?: { readonly region?: string; readonly zone?: string; readonly sub_zone?: string } | null;
}

function stringMap(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Parses a node the way Istio's ParseServiceNodeWithMetadata does: the ID splits on `~` into
 * exactly four parts (type, IP, `pod.namespace`, domain). The namespace comes from metadata
 * (NAMESPACE, CONFIG_NAMESPACE), else from the ID.
 */
export function parseProxy(node: NodeInput): Result<Proxy, string> {
  const parts = node.id.split('~');
  if (parts.length !== 4) return { ok: false, error: `node ID ${JSON.stringify(node.id)} must have 4 parts separated by "~" (type~ip~pod.namespace~domain)` };
  const [type, ip, id, domain] = parts as [string, string, string, string];
  if (type !== 'sidecar' && type !== 'router') return { ok: false, error: `node type ${JSON.stringify(type)} must be "sidecar" or "router"` };
  const md = node.metadata ?? {};
  const extraIps = str(md['INSTANCE_IPS'])?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  const ipAddresses = [...new Set([ip, ...extraIps].filter(Boolean))];
  if (ipAddresses.length === 0) return { ok: false, error: `node ID ${JSON.stringify(node.id)} has no IP address` };
  const namespace = str(md['NAMESPACE']) ?? str(md['CONFIG_NAMESPACE']) ?? id.split('.')[1] ?? domain.split('.')[0] ?? 'default';
  const loc = node.locality;
  const locality = loc && (loc.region || loc.zone || loc.sub_zone) ? [loc.region ?? '', loc.zone ?? '', loc.sub_zone ?? ''].join('/').replace(/\/+$/, '') : undefined;
  const generator = str(md['GENERATOR']);
  const istioVersion = str(md['ISTIO_VERSION']);
  return {
    ok: true,
    value: {
      type,
      nodeId: node.id,
      id,
      ipAddresses,
      dnsDomain: domain || `${namespace}.svc.cluster.local`,
      namespace,
      labels: stringMap(md['LABELS']),
      metadata: md,
      serviceCluster: node.cluster ?? '',
      ...(generator ? { generator } : {}),
      ...(istioVersion ? { istioVersion } : {}),
      ...(locality ? { locality } : {}),
    },
  };
}
