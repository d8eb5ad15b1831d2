// Cluster.transport_socket_matches (Envoy): per endpoint, the first match whose `match` fields all
// equal the endpoint's `envoy.transport_socket_match` filter metadata picks the transport socket;
// with none, the cluster's transport_socket (Envoy's match named "default"), else plaintext. Istio
// labels sidecar endpoints `tlsMode: istio` and sends a `tlsMode-istio` match with the mTLS socket
// and a `tlsMode-disabled` match `{}` with raw_buffer. Pure: structs in, a choice out.
import type { IssueCollector } from '@weft/base';
import type { SecretRef } from '../sds/secret-source.js';
import type { SecretProviders } from './dynamic-tls.js';
import type { TransportSocketInput, Unpack } from './tls-config.js';
import { compileUpstreamTransportSocket, type UpstreamTransport } from './upstream-tls-context.js';

export const TRANSPORT_SOCKET_MATCH_KEY = 'envoy.transport_socket_match';

type Maybe<T> = T | null | undefined;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** google.protobuf.Struct as decoded (`{ fields: { k: { kind, string_value } } }`) or as plain JSON. */
export type StructInput = Maybe<{ readonly fields?: Maybe<Record<string, unknown>> } | Record<string, unknown>>;

function valueToJson(v: unknown): Json {
  if (v === null || typeof v !== 'object') return (v ?? null) as Json;
  const o = v as Record<string, unknown>;
  const kind = typeof o['kind'] === 'string' ? (o['kind'] as string) : ['string_value', 'number_value', 'bool_value', 'struct_value', 'list_value', 'null_value'].find((k) => o[k] !== undefined && o[k] !== null);
  switch (kind) {
    case 'string_value':
      return String(o['string_value'] ?? '');
    case 'number_value':
      return Number(o['number_value'] ?? 0);
    case 'bool_value':
      return Boolean(o['bool_value']);
    case 'struct_value':
      return structToJson(o['struct_value'] as StructInput);
    case 'list_value':
      return (((o['list_value'] as { values?: unknown[] } | null)?.values ?? []) as unknown[]).map(valueToJson);
    case 'null_value':
      return null;
    default:
      return null;
  }
}

/** A Struct as JSON (a decoded Struct has `fields` of Values). */
export function structToJson(s: StructInput): Record<string, Json> {
  if (!s) return {};
  const fields = (s as { fields?: unknown }).fields;
  if (fields && typeof fields === 'object') return Object.fromEntries(Object.entries(fields as Record<string, unknown>).map(([k, v]) => [k, valueToJson(v)]));
  return s as Record<string, Json>;
}

function equal(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every key of `match` has the same value in `metadata` (`{}` matches everything). */
export function isSubset(match: Readonly<Record<string, Json>>, metadata: Readonly<Record<string, Json>>): boolean {
  return Object.entries(match).every(([k, v]) => k in metadata && equal(v, metadata[k] ?? null));
}

export interface TransportSocketMatchInput {
  readonly name: string;
  readonly match?: StructInput;
  readonly transport_socket?: Maybe<TransportSocketInput>;
}

/** The endpoint metadata this reads (LbEndpoint.metadata). */
export interface EndpointMetadataInput {
  readonly filter_metadata?: Maybe<Record<string, StructInput>>;
}

export interface TransportChoice {
  /** The match name for stats (`default` for the cluster's own transport_socket). */
  readonly name: string;
  readonly transport: UpstreamTransport;
}

export interface TransportSocketMatcher {
  /** The transport for an endpoint, by its metadata. */
  select(metadata: Maybe<EndpointMetadataInput>): TransportChoice;
  /** Every choice (for warming: the secrets any of them need). */
  readonly choices: readonly TransportChoice[];
}

/**
 * Compiles transport_socket_matches around the cluster's default transport; undefined when the
 * cluster has none. `issues` is at the cluster.
 */
export function compileTransportSocketMatches(
  matches: readonly TransportSocketMatchInput[] | undefined,
  fallback: UpstreamTransport,
  unpack: Unpack,
  issues: IssueCollector,
  secrets?: SecretProviders,
): TransportSocketMatcher | undefined {
  if (!matches || matches.length === 0) return undefined;
  const compiled: Array<{ name: string; match: Record<string, Json>; transport: UpstreamTransport }> = [];
  const names = new Set<string>();
  matches.forEach((m, i) => {
    const at = issues.at('transport_socket_matches', i);
    if (!m.name) at.at('name').error('a transport socket match needs a name');
    else if (names.has(m.name)) at.at('name').error(`duplicate transport socket match name "${m.name}"`);
    names.add(m.name);
    const transport = compileUpstreamTransportSocket(m.transport_socket, unpack, at.at('transport_socket'), secrets);
    if (transport) compiled.push({ name: m.name, match: structToJson(m.match), transport });
  });
  const fallbackChoice: TransportChoice = { name: 'default', transport: fallback };
  const choices: TransportChoice[] = [...compiled.map((c) => ({ name: c.name, transport: c.transport })), fallbackChoice];
  return {
    choices,
    select: (metadata) => {
      const md = structToJson(metadata?.filter_metadata?.[TRANSPORT_SOCKET_MATCH_KEY]);
      const i = compiled.findIndex((c) => isSubset(c.match, md));
      return i >= 0 ? choices[i]! : fallbackChoice;
    },
  };
}

/** The SDS secrets a transport needs (for warming). */
export function transportSecrets(t: UpstreamTransport): readonly SecretRef[] {
  return t.kind === 'tls' && t.dynamic ? t.dynamic.refs : [];
}
