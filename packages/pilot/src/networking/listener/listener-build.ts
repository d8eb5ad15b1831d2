// Assembling listeners from filter-chain options (Istio 1.3 buildListener): SNI and destination-CIDR
// matches, and the TLS inspector whenever a chain matches on SNI.
import type { FilterChain, Listener } from '@weft/api';
import { typedConfig } from '../route/proto-values.js';
import { ORIGINAL_DST, ORIGINAL_DST_TYPE, TLS_INSPECTOR, TLS_INSPECTOR_TYPE } from './filter-names.js';
import type { NetworkFilter } from './http-connection-manager.js';

export type ListenerFilter = NonNullable<Listener['listener_filters']>[number];
export type TransportSocket = NonNullable<FilterChain['transport_socket']>;

/** One filter chain before it becomes Envoy's: runtime match predicates plus the filters. */
export interface FilterChainOpts {
  /** SNI names; a `*` among them means "no SNI match". */
  readonly sniHosts?: readonly string[];
  /** Destination CIDRs (`10.0.0.0/8`, or an IP); empty strings are ignored. */
  readonly destinationCidrs?: readonly string[];
  readonly destinationPort?: number;
  readonly transportSocket?: TransportSocket;
  readonly filters: readonly NetworkFilter[];
}

/** `10.0.0.0/8` → {address_prefix, prefix_len}; a bare IP is a host route (/32, or /128 for IPv6). */
export function cidrRange(cidr: string): { address_prefix: string; prefix_len: { value: number } } {
  const slash = cidr.indexOf('/');
  if (slash >= 0) return { address_prefix: cidr.slice(0, slash), prefix_len: { value: Number(cidr.slice(slash + 1)) } };
  return { address_prefix: cidr, prefix_len: { value: cidr.includes(':') ? 128 : 32 } };
}

export function socketAddress(address: string, port: number): NonNullable<Listener['address']> {
  return { socket_address: { address, port_value: port } };
}

export function filterChain(opts: FilterChainOpts): FilterChain {
  const match: NonNullable<FilterChain['filter_chain_match']> = {};
  if (opts.destinationPort !== undefined) match.destination_port = { value: opts.destinationPort };
  const cidrs = (opts.destinationCidrs ?? []).filter((c) => c !== '');
  if (cidrs.length > 0) match.prefix_ranges = cidrs.map(cidrRange);
  const sni = opts.sniHosts ?? [];
  if (sni.length > 0 && !sni.includes('*')) match.server_names = [...sni];
  return {
    ...(Object.keys(match).length > 0 ? { filter_chain_match: match } : {}),
    filters: [...opts.filters],
    ...(opts.transportSocket ? { transport_socket: opts.transportSocket } : {}),
  };
}

export function tlsInspector(): ListenerFilter {
  return { name: TLS_INSPECTOR, typed_config: typedConfig(TLS_INSPECTOR_TYPE, {}) };
}

export function originalDst(): ListenerFilter {
  return { name: ORIGINAL_DST, typed_config: typedConfig(ORIGINAL_DST_TYPE, {}) };
}

/** A filter chain needs the TLS inspector when it matches on SNI. */
export function needsTlsInspector(chains: readonly FilterChain[]): boolean {
  return chains.some((c) => (c.filter_chain_match?.server_names?.length ?? 0) > 0);
}

/** Two chains with equal matches conflict; Envoy rejects the listener, so the later one is dropped. */
export function matchKey(chain: FilterChain): string {
  return JSON.stringify(chain.filter_chain_match ?? {});
}

export interface ListenerSpec {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly chains: readonly FilterChain[];
  readonly direction: 'INBOUND' | 'OUTBOUND';
  /** False for the per-port outbound listeners the capture listener hands connections to. */
  readonly bindToPort?: boolean;
}

export function buildListener(spec: ListenerSpec): Listener & { name: string } {
  return {
    name: spec.name,
    address: socketAddress(spec.address, spec.port),
    filter_chains: [...spec.chains],
    ...(spec.bindToPort === false ? { bind_to_port: { value: false } } : {}),
    ...(needsTlsInspector(spec.chains) ? { listener_filters: [tlsInspector()] } : {}),
    traffic_direction: spec.direction,
  };
}
