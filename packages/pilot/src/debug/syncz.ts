// /debug/syncz rows: per connected proxy and xDS type, what was sent and acknowledged (Istio 1.3 shape, plus NACKs);
// for one proxy (?proxyID=), each resource's ACK/NACK status too.
import { TypeUrl } from '@weft/api';
import type { ResourceStatus, StreamStatus } from '@weft/xds';
import type { ConnectedProxy } from '../xds/discovery.js';

const FIELDS: ReadonlyArray<readonly [string, string]> = [
  [TypeUrl.Cluster, 'cluster'],
  [TypeUrl.Listener, 'listener'],
  [TypeUrl.RouteConfiguration, 'route'],
  [TypeUrl.ClusterLoadAssignment, 'endpoint'],
];

export interface SyncRow {
  proxy: string;
  node_id: string;
  proxy_version: string;
  istio_version: string;
  protocol: string;
  [field: string]: unknown;
}

/** The version Pilot holds now for a proxy group and type ('' when it serves none), to tell SYNCED from STALE. */
export type LatestVersion = (group: string, typeUrl: string) => string;

/**
 * One row per stream. `<type>_sent`/`_acked` are nonces as in Istio; versions and the last NACK follow.
 * `<type>_latest_version` is what Pilot would send now, and `<type>_synced` is true when the proxy has
 * acknowledged exactly that (or never subscribed the type), so a caller can wait for convergence.
 */
export function syncRows(connections: readonly StreamStatus[], proxies: readonly ConnectedProxy[], latest: LatestVersion = () => ''): SyncRow[] {
  const byStream = proxyOfStream(proxies);
  return connections.map((c) => syncRow(c, byStream.get(c.stream.id), latest));
}

function proxyOfStream(proxies: readonly ConnectedProxy[]): Map<number, ConnectedProxy> {
  const byStream = new Map<number, ConnectedProxy>();
  for (const p of proxies) for (const s of p.streams) byStream.set(s, p);
  return byStream;
}

function syncRow(c: StreamStatus, p: ConnectedProxy | undefined, latest: LatestVersion): SyncRow {
  const row: SyncRow = {
    proxy: p?.proxy.id ?? c.stream.node.id,
    node_id: c.stream.node.id,
    proxy_version: c.stream.node.user_agent_version_type === 'user_agent_version' ? c.stream.node.user_agent_version ?? '' : '',
    istio_version: p?.proxy.istioVersion ?? '',
    protocol: c.stream.protocol,
  };
  for (const [typeUrl, field] of FIELDS) {
    const t = c.types.find((x) => x.typeUrl === typeUrl);
    row[`${field}_sent`] = t?.sentNonce ?? '';
    row[`${field}_acked`] = t?.ackedNonce ?? '';
    row[`${field}_sent_version`] = t?.sentVersion ?? '';
    row[`${field}_acked_version`] = t?.ackedVersion ?? '';
    const now = p ? latest(p.group, typeUrl) : '';
    row[`${field}_latest_version`] = now;
    row[`${field}_synced`] = !t?.sentNonce ? !t?.ackedNonce : t.sentNonce === t.ackedNonce && (now === '' || t.ackedVersion === now);
    if (t?.lastNack) row[`${field}_last_nack`] = t.lastNack;
  }
  return row;
}

/** One resource's ACK/NACK status on one stream, as `/debug/syncz?proxyID=` lists it. */
export interface ResourceRow {
  name: string;
  version: string;
  status: ResourceStatus['status'];
  ackedVersion?: string;
  nonce: string;
  error?: { code: number; message: string };
  removed?: true;
}

function resourceRow(s: ResourceStatus): ResourceRow {
  return {
    name: s.name,
    version: s.version,
    status: s.status,
    ...(s.ackedVersion !== undefined ? { ackedVersion: s.ackedVersion } : {}),
    nonce: s.nonce,
    ...(s.error ? { error: { code: s.error.code, message: s.error.message } } : {}),
    ...(s.removed ? { removed: true as const } : {}),
  };
}

/**
 * The rows of one proxy (`proxyID`: its proxy ID, `pod.namespace`, or full node ID), each with
 * `resources`: per type field (cluster, listener, route, endpoint), every resource's status on that
 * stream. Undefined when no stream of it is connected.
 */
export function proxySyncRows(connections: readonly StreamStatus[], proxies: readonly ConnectedProxy[], proxyId: string, latest: LatestVersion = () => ''): SyncRow[] | undefined {
  const byStream = proxyOfStream(proxies);
  const rows: SyncRow[] = [];
  for (const c of connections) {
    const p = byStream.get(c.stream.id);
    if (c.stream.node.id !== proxyId && (p?.proxy.id ?? c.stream.node.id) !== proxyId) continue;
    const byType = new Map(c.resourceStatus().map((t) => [t.typeUrl, t.resources]));
    const resources: Record<string, ResourceRow[]> = {};
    for (const [typeUrl, field] of FIELDS) resources[field] = (byType.get(typeUrl) ?? []).map(resourceRow);
    rows.push({ ...syncRow(c, p, latest), resources });
  }
  return rows.length > 0 ? rows : undefined;
}

/** istioctl proxy-status's verdict for one type: NOT SENT, SYNCED, STALE (Never Acknowledged), STALE. */
export function syncState(sent: string, acked: string): string {
  if (!sent) return 'NOT SENT';
  if (sent === acked) return 'SYNCED';
  if (!acked) return 'STALE (Never Acknowledged)';
  return 'STALE';
}
