// Filter chain selection for a listener: Envoy's FilterChainMatch semantics, compiled once, pure.
//
// Envoy (listener_components.proto FilterChainMatch; source/server/filter_chain_manager_impl.cc) walks
// the criteria in a fixed order — destination port, destination IP, server name, transport protocol,
// application protocols, direct source IP, source type, source IP, source port — and at each level
// commits to the MOST SPECIFIC value present (exact port over 0, longest prefix, exact SNI over the
// longest `*.suffix`, a named protocol over ""), falling back to the empty criterion only when no
// specific value matches. There is no backtracking: once a level has chosen, a miss further down
// means "no chain", which selects default_filter_chain (or nothing: the connection is closed).
// One asymmetry is kept on purpose: a destination port that has its own chains never falls back to
// the port-0 chains, but goes straight to the default chain.
import type { FilterChain__Output } from '@weft/api';
import { IssueCollector, type ValidationResult } from '@weft/base';
import {
  CATCH_ALL_IPV4,
  CATCH_ALL_IPV6,
  CidrTable,
  NON_IP_ADDRESS,
  isLoopback,
  parseCidr,
  parseIp,
  sameIp,
  type CidrRange,
  type IpAddress,
} from './cidr.js';

/** The FilterChainMatch fields this matcher reads; the decoded `FilterChainMatch__Output` fits it. */
export interface FilterChainMatchInput {
  readonly destination_port?: { readonly value: number } | null;
  readonly prefix_ranges?: readonly CidrRangeInput[];
  readonly server_names?: readonly string[];
  readonly transport_protocol?: string;
  readonly application_protocols?: readonly string[];
  readonly direct_source_prefix_ranges?: readonly CidrRangeInput[];
  readonly source_type?: SourceType | 0 | 1 | 2;
  readonly source_prefix_ranges?: readonly CidrRangeInput[];
  readonly source_ports?: readonly number[];
  readonly address_suffix?: string;
  readonly suffix_len?: { readonly value: number } | null;
}

export interface CidrRangeInput {
  readonly address_prefix: string;
  readonly prefix_len?: { readonly value: number } | null;
}

export type SourceType = 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';

/** Anything carrying a filter_chain_match: the decoded FilterChain, or a built chain that kept its match. */
export interface MatchableChain {
  readonly filter_chain_match?: FilterChainMatchInput | null;
}

/** What is known about a connection once the listener filters (original_dst, tls_inspector) have run. */
export interface ConnectionInfo {
  /** The local (original destination) port and address. */
  readonly destinationPort: number;
  readonly destinationIp: string;
  /** SNI from the TLS inspector; matched case-insensitively. */
  readonly serverName?: string;
  readonly transportProtocol: 'raw_buffer' | 'tls' | (string & {});
  /** ALPN offered by the client, in its order of preference. */
  readonly applicationProtocols: readonly string[];
  /** The remote address (after PROXY protocol / original-src, if any). */
  readonly sourceIp: string;
  readonly sourcePort: number;
  /** The peer of the TCP connection itself; defaults to sourceIp. */
  readonly directSourceIp?: string;
}

export interface FilterChainMatcher<C> {
  /** The chain for this connection: the best match, else default_filter_chain, else undefined (close it). */
  select(conn: ConnectionInfo): C | undefined;
}

// ---- the compiled tree: one node type per criterion, in Envoy's order ----
type SourcePorts<C> = Map<number, Leaf<C>>;
interface Leaf<C> {
  readonly chain: C;
  readonly index: number;
}
type SourceTypes<C> = Partial<Record<SourceType, CidrTable<SourcePorts<C>>>>;
type AppProtocols<C> = Map<string, CidrTable<SourceTypes<C>>>;
type TransportProtocols<C> = Map<string, AppProtocols<C>>;
type ServerNames<C> = Map<string, TransportProtocols<C>>;
type DestinationIps<C> = CidrTable<ServerNames<C>>;

/**
 * Compiles a listener's filter chains. Rejects (with every problem and its path) what Envoy rejects:
 * malformed CIDRs, partial wildcards in server_names, the unimplemented address_suffix/suffix_len,
 * and chains whose matching rules overlap.
 */
export function compileFilterChainMatcher<C extends MatchableChain = FilterChain__Output>(
  chains: readonly C[],
  defaultChain?: C | null,
  path = 'filter_chains',
): ValidationResult<FilterChainMatcher<C>> {
  const issues = new IssueCollector(path);
  const ports = new Map<number, DestinationIps<C>>();
  const reportedOverlaps = new Set<string>();

  chains.forEach((chain, index) => {
    const at = issues.at(index).at('filter_chain_match');
    const m = normalize(chain.filter_chain_match ?? {}, at);
    if (!m) return;
    let destIps = ports.get(m.destinationPort);
    if (!destIps) ports.set(m.destinationPort, (destIps = new CidrTable()));
    const onOverlap = (other: number): void => {
      const key = `${other}:${index}`;
      if (reportedOverlaps.has(key)) return;
      reportedOverlaps.add(key);
      at.error(`overlaps the matching rules of ${path}[${other}] (multiple filter chains with overlapping matching rules)`);
    };
    const leaf: Leaf<C> = { chain, index };
    for (const serverNames of cidrNodes(destIps, m.prefixRanges, () => new Map())) {
      addServerNames(serverNames, m, leaf, onOverlap);
    }
  });

  return issues.result<FilterChainMatcher<C>>(new CompiledMatcher(ports, defaultChain ?? undefined));
}

/**
 * Whether a listener needs the TLS inspector to select a chain — Envoy injects one when any chain
 * matches on transport_protocol "tls", or on server_names / application_protocols without naming a
 * transport protocol (ALPN on plaintext comes from the HTTP inspector instead).
 */
export function needsTlsInspector(chains: readonly MatchableChain[]): boolean {
  return chains.some((c) => {
    const m = c.filter_chain_match;
    if (!m) return false;
    const transport = m.transport_protocol ?? '';
    if (transport === 'tls') return true;
    return transport === '' && ((m.server_names?.length ?? 0) > 0 || (m.application_protocols?.length ?? 0) > 0);
  });
}

interface NormalizedMatch {
  destinationPort: number;
  prefixRanges: CidrRange[];
  serverNames: string[];
  transportProtocol: string;
  applicationProtocols: readonly string[];
  directSourceRanges: CidrRange[];
  sourceType: SourceType;
  sourceRanges: CidrRange[];
  sourcePorts: readonly number[];
}

function normalize(m: FilterChainMatchInput, at: IssueCollector): NormalizedMatch | undefined {
  const before = at.errors.length;
  if ((m.address_suffix ?? '') !== '' || m.suffix_len) {
    at.error('address_suffix and suffix_len are not implemented (Envoy rejects them too)');
  }
  const destinationPort = m.destination_port?.value ?? 0;
  if (!Number.isInteger(destinationPort) || destinationPort < 0 || destinationPort > 65535) {
    at.at('destination_port').error(`port ${destinationPort} is out of range (0..65535)`);
  }
  const serverNames = (m.server_names ?? []).map((name, i) => {
    // Envoy matches only whole-label wildcards: "*.example.com"; "*" and "www.*" are refused.
    if (name.includes('*') && !(name.startsWith('*.') && !name.slice(1).includes('*'))) {
      at.at('server_names', i).error(`partial wildcards are not supported in server_names: '${name}'`);
    }
    return name.toLowerCase();
  });
  const sourcePorts = m.source_ports ?? [];
  sourcePorts.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 1 || p > 65535) at.at('source_ports', i).error(`port ${p} is out of range (1..65535)`);
  });
  const sourceType = sourceTypeOf(m.source_type);
  if (!sourceType) at.at('source_type').error(`unknown source_type ${String(m.source_type)}`);
  const normalized: NormalizedMatch = {
    destinationPort,
    prefixRanges: ranges(m.prefix_ranges, at.at('prefix_ranges')),
    serverNames,
    transportProtocol: m.transport_protocol ?? '',
    applicationProtocols: m.application_protocols ?? [],
    directSourceRanges: ranges(m.direct_source_prefix_ranges, at.at('direct_source_prefix_ranges')),
    sourceType: sourceType ?? 'ANY',
    sourceRanges: ranges(m.source_prefix_ranges, at.at('source_prefix_ranges')),
    sourcePorts,
  };
  return at.errors.length === before ? normalized : undefined;
}

function sourceTypeOf(v: FilterChainMatchInput['source_type']): SourceType | undefined {
  if (v === undefined || v === 'ANY' || v === 0) return 'ANY';
  if (v === 'SAME_IP_OR_LOOPBACK' || v === 1) return 'SAME_IP_OR_LOOPBACK';
  if (v === 'EXTERNAL' || v === 2) return 'EXTERNAL';
  return undefined;
}

function ranges(list: readonly CidrRangeInput[] | undefined, at: IssueCollector): CidrRange[] {
  const out: CidrRange[] = [];
  (list ?? []).forEach((r, i) => {
    // An absent prefix_len is 0 in proto3, which makes the range a catch-all of its family.
    const parsed = parseCidr(r.address_prefix, r.prefix_len?.value ?? 0);
    if (typeof parsed === 'string') at.at(i).error(parsed);
    else out.push(parsed);
  });
  return out;
}

/**
 * The nodes under each range of a CIDR criterion, created on demand. An empty list is the catch-all
 * of both families (Envoy's "" key, inserted as 0.0.0.0/0 and ::/0). An explicit /0 and the empty
 * list therefore share a node: they denote the same addresses.
 */
function cidrNodes<T>(table: CidrTable<T>, list: readonly CidrRange[], create: () => T): Set<T> {
  const nodes = new Set<T>();
  const targets = list.length === 0 ? [CATCH_ALL_IPV4, CATCH_ALL_IPV6] : list;
  let shared: T | undefined;
  for (const range of targets) {
    const fresh = list.length === 0 ? (shared ??= create()) : create();
    nodes.add(table.add(range, fresh) ?? fresh);
  }
  return nodes;
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = create()));
  return v;
}

function addServerNames<C>(node: ServerNames<C>, m: NormalizedMatch, leaf: Leaf<C>, onOverlap: (i: number) => void): void {
  // "*.example.com" is stored as ".example.com", the form the lookup probes.
  const keys = m.serverNames.length === 0 ? [''] : m.serverNames.map((n) => (n.startsWith('*.') ? n.slice(1) : n));
  for (const key of keys) {
    const transports = getOrCreate(node, key, (): TransportProtocols<C> => new Map());
    const apps = getOrCreate(transports, m.transportProtocol, (): AppProtocols<C> => new Map());
    const appKeys = m.applicationProtocols.length === 0 ? [''] : m.applicationProtocols;
    for (const app of appKeys) {
      const direct = getOrCreate(apps, app, () => new CidrTable<SourceTypes<C>>());
      for (const types of cidrNodes<SourceTypes<C>>(direct, m.directSourceRanges, () => ({}))) {
        const sources = (types[m.sourceType] ??= new CidrTable());
        for (const portMap of cidrNodes<SourcePorts<C>>(sources, m.sourceRanges, () => new Map())) {
          for (const port of m.sourcePorts.length === 0 ? [0] : m.sourcePorts) {
            const existing = portMap.get(port);
            if (existing && existing.index !== leaf.index) onOverlap(existing.index);
            else portMap.set(port, leaf);
          }
        }
      }
    }
  }
}

/** Per-connection lazily parsed addresses: each is parsed at most once, and only if a level needs it. */
class Addresses {
  private dst?: IpAddress;
  private src?: IpAddress;
  private direct?: IpAddress;
  constructor(private readonly conn: ConnectionInfo) {}
  get destination(): IpAddress {
    return (this.dst ??= parseIp(this.conn.destinationIp) ?? NON_IP_ADDRESS);
  }
  get source(): IpAddress {
    return (this.src ??= parseIp(this.conn.sourceIp) ?? NON_IP_ADDRESS);
  }
  get sourcePort(): number {
    return this.conn.sourcePort;
  }
  get directSource(): IpAddress {
    const text = this.conn.directSourceIp;
    return (this.direct ??= text === undefined ? this.source : (parseIp(text) ?? NON_IP_ADDRESS));
  }
}

class CompiledMatcher<C> implements FilterChainMatcher<C> {
  constructor(
    private readonly ports: ReadonlyMap<number, DestinationIps<C>>,
    private readonly defaultChain: C | undefined,
  ) {}

  select(conn: ConnectionInfo): C | undefined {
    const addrs = new Addresses(conn);
    const exact = this.ports.get(conn.destinationPort);
    // A port with its own chains never falls back to the port-0 chains (Envoy findFilterChain).
    const tree = exact ?? this.ports.get(0);
    const found = tree ? this.byDestinationIp(tree, conn, addrs) : undefined;
    return found ?? this.defaultChain;
  }

  private byDestinationIp(table: DestinationIps<C>, conn: ConnectionInfo, addrs: Addresses): C | undefined {
    const names = table.lookup(addrs.destination);
    return names ? this.byServerName(names, conn, addrs) : undefined;
  }

  private byServerName(names: ServerNames<C>, conn: ConnectionInfo, addrs: Addresses): C | undefined {
    const sni = (conn.serverName ?? '').toLowerCase();
    const exact = names.get(sni);
    if (exact) return this.byTransport(exact, conn, addrs);
    // Wildcards, longest first: ".b.example.com", then ".example.com", then ".com" for "a.b.example.com".
    // A leading or trailing dot never starts a wildcard (Envoy searches from index 1 to size-2).
    for (let pos = sni.indexOf('.', 1); pos !== -1 && pos < sni.length - 1; pos = sni.indexOf('.', pos + 1)) {
      const wildcard = names.get(sni.slice(pos));
      if (wildcard) return this.byTransport(wildcard, conn, addrs);
    }
    const any = names.get('');
    return any ? this.byTransport(any, conn, addrs) : undefined;
  }

  private byTransport(transports: TransportProtocols<C>, conn: ConnectionInfo, addrs: Addresses): C | undefined {
    const apps = transports.get(conn.transportProtocol) ?? transports.get('');
    return apps ? this.byApplicationProtocol(apps, conn, addrs) : undefined;
  }

  private byApplicationProtocol(apps: AppProtocols<C>, conn: ConnectionInfo, addrs: Addresses): C | undefined {
    // The client's first offered protocol that some chain names wins; then chains naming none.
    for (const alpn of conn.applicationProtocols) {
      const direct = apps.get(alpn);
      if (direct) return this.byDirectSource(direct, addrs);
    }
    const any = apps.get('');
    return any ? this.byDirectSource(any, addrs) : undefined;
  }

  private byDirectSource(table: CidrTable<SourceTypes<C>>, addrs: Addresses): C | undefined {
    const types = table.lookup(addrs.directSource);
    return types ? this.bySourceType(types, addrs) : undefined;
  }

  private bySourceType(types: SourceTypes<C>, addrs: Addresses): C | undefined {
    // A connection is local when its peer is loopback or has the listener's own IP. A specific
    // source type, when configured and applicable, is final: no fallback to ANY below it.
    if (types.SAME_IP_OR_LOOPBACK || types.EXTERNAL) {
      const src = addrs.source;
      const local = isLoopback(src) || sameIp(src, addrs.destination);
      const specific = local ? types.SAME_IP_OR_LOOPBACK : types.EXTERNAL;
      if (specific) return this.bySource(specific, addrs);
    }
    return types.ANY ? this.bySource(types.ANY, addrs) : undefined;
  }

  private bySource(table: CidrTable<SourcePorts<C>>, addrs: Addresses): C | undefined {
    const ports = table.lookup(addrs.source);
    if (!ports) return undefined;
    const sourcePort = addrs.sourcePort;
    return (ports.get(sourcePort) ?? (sourcePort !== 0 ? ports.get(0) : undefined))?.chain;
  }
}
