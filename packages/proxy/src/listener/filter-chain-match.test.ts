import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadProtoRegistry, type FilterChain__Output, type Listener__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  compileFilterChainMatcher,
  needsTlsInspector,
  type ConnectionInfo,
  type FilterChainMatchInput,
  type FilterChainMatcher,
} from './filter-chain-match.js';

interface NamedChain {
  readonly name: string;
  readonly filter_chain_match: FilterChainMatchInput | null;
}

const chain = (name: string, filter_chain_match: FilterChainMatchInput | null = null): NamedChain => ({ name, filter_chain_match });
const range = (address_prefix: string, prefix_len: number) => ({ address_prefix, prefix_len: { value: prefix_len } });
const port = (value: number) => ({ value });

const CONN: ConnectionInfo = {
  destinationPort: 80,
  destinationIp: '10.1.2.3',
  transportProtocol: 'raw_buffer',
  applicationProtocols: [],
  sourceIp: '10.9.9.9',
  sourcePort: 40000,
};

function compile(chains: readonly NamedChain[], defaultChain?: NamedChain): FilterChainMatcher<NamedChain> {
  const r = compileFilterChainMatcher(chains, defaultChain);
  if (!r.value) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.value;
}

interface Case {
  readonly name: string;
  readonly chains: readonly NamedChain[];
  readonly conn: Partial<ConnectionInfo>;
  readonly expected: string | undefined;
}

const DEFAULT = chain('default');

// Each case also runs with a default_filter_chain, which must be chosen exactly when nothing matches.
const CASES: readonly Case[] = [
  // destination port
  {
    name: 'an exact destination port beats the port-less chain',
    chains: [chain('any-port'), chain('p80', { destination_port: port(80) })],
    conn: {},
    expected: 'p80',
  },
  {
    name: 'a port without chains of its own uses the port-less chains',
    chains: [chain('any-port'), chain('p80', { destination_port: port(80) })],
    conn: { destinationPort: 8080 },
    expected: 'any-port',
  },
  {
    name: 'a port with chains that all miss does not fall back to the port-less chains',
    chains: [chain('any-port'), chain('p443-sni', { destination_port: port(443), server_names: ['a.example.com'] })],
    conn: { destinationPort: 443, serverName: 'b.example.com' },
    expected: undefined,
  },
  // destination IP
  {
    name: 'the longest destination prefix wins (/32 over /16 over /8 over none)',
    chains: [
      chain('none'),
      chain('/8', { prefix_ranges: [range('10.0.0.0', 8)] }),
      chain('/16', { prefix_ranges: [range('10.1.0.0', 16)] }),
      chain('/32', { prefix_ranges: [range('10.1.2.3', 32)] }),
    ],
    conn: { destinationIp: '10.1.2.3' },
    expected: '/32',
  },
  {
    name: 'a destination outside every range takes the chain without prefix_ranges',
    chains: [chain('none'), chain('/8', { prefix_ranges: [range('10.0.0.0', 8)] })],
    conn: { destinationIp: '192.168.1.1' },
    expected: 'none',
  },
  {
    name: 'a chain lists several ranges; any of them matches',
    chains: [chain('multi', { prefix_ranges: [range('192.168.0.0', 16), range('10.1.0.0', 16)] })],
    conn: { destinationIp: '10.1.200.1' },
    expected: 'multi',
  },
  {
    name: 'the most specific destination commits: a miss below it does not fall back to a wider range',
    chains: [chain('/8', { prefix_ranges: [range('10.0.0.0', 8)] }), chain('/16-sni', { prefix_ranges: [range('10.1.0.0', 16)], server_names: ['a.com'] })],
    conn: { destinationIp: '10.1.2.3', serverName: 'b.com' },
    expected: undefined,
  },
  {
    name: 'IPv6 destinations match IPv6 ranges',
    chains: [chain('v4', { prefix_ranges: [range('0.0.0.0', 0)] }), chain('v6', { prefix_ranges: [range('2001:db8::', 32)] })],
    conn: { destinationIp: '2001:db8::5' },
    expected: 'v6',
  },
  {
    name: 'an IPv4 catch-all range does not match an IPv6 destination',
    chains: [chain('v4', { prefix_ranges: [range('0.0.0.0', 0)] })],
    conn: { destinationIp: 'fe80::1' },
    expected: undefined,
  },
  {
    name: 'an empty prefix_ranges matches IPv6 too',
    chains: [chain('none')],
    conn: { destinationIp: 'fe80::1' },
    expected: 'none',
  },
  {
    name: 'an IPv4-mapped IPv6 destination (dual-stack socket) matches IPv4 ranges',
    chains: [chain('none'), chain('/16', { prefix_ranges: [range('10.1.0.0', 16)] })],
    conn: { destinationIp: '::ffff:10.1.2.3' },
    expected: '/16',
  },
  {
    name: 'an unparseable destination only matches the IPv4 catch-all (Envoy fakes 255.255.255.255)',
    chains: [chain('/8', { prefix_ranges: [range('10.0.0.0', 8)] }), chain('all', { prefix_ranges: [range('0.0.0.0', 0)] })],
    conn: { destinationIp: '/var/run/sock' },
    expected: 'all',
  },
  // server names
  {
    name: 'an exact server name beats a wildcard',
    chains: [chain('wild', { server_names: ['*.example.com'] }), chain('exact', { server_names: ['www.example.com'] })],
    conn: { serverName: 'www.example.com', transportProtocol: 'tls' },
    expected: 'exact',
  },
  {
    name: 'the longest wildcard suffix wins',
    chains: [chain('short', { server_names: ['*.example.com'] }), chain('long', { server_names: ['*.b.example.com'] })],
    conn: { serverName: 'a.b.example.com' },
    expected: 'long',
  },
  {
    name: 'a wildcard matches several labels deep',
    chains: [chain('wild', { server_names: ['*.example.com'] }), chain('none')],
    conn: { serverName: 'x.y.z.example.com' },
    expected: 'wild',
  },
  {
    name: 'a wildcard does not match the bare domain',
    chains: [chain('wild', { server_names: ['*.example.com'] }), chain('none')],
    conn: { serverName: 'example.com' },
    expected: 'none',
  },
  {
    name: 'server names are matched case-insensitively',
    chains: [chain('exact', { server_names: ['WWW.Example.com'] }), chain('none')],
    conn: { serverName: 'www.EXAMPLE.com' },
    expected: 'exact',
  },
  {
    name: 'no SNI takes the chain without server_names',
    chains: [chain('exact', { server_names: ['www.example.com'] }), chain('none')],
    conn: {},
    expected: 'none',
  },
  {
    name: 'an unknown SNI with no chain lacking server_names matches nothing',
    chains: [chain('exact', { server_names: ['www.example.com'] })],
    conn: { serverName: 'other.example.org' },
    expected: undefined,
  },
  {
    name: 'a chain lists several server names',
    chains: [chain('ab', { server_names: ['a.com', 'b.com'] }), chain('c', { server_names: ['c.com'] })],
    conn: { serverName: 'b.com' },
    expected: 'ab',
  },
  // transport protocol
  {
    name: 'transport protocol "tls" selects the TLS chain',
    chains: [chain('tls', { transport_protocol: 'tls' }), chain('plain')],
    conn: { transportProtocol: 'tls' },
    expected: 'tls',
  },
  {
    name: 'raw_buffer takes the chain without a transport protocol',
    chains: [chain('tls', { transport_protocol: 'tls' }), chain('plain')],
    conn: { transportProtocol: 'raw_buffer' },
    expected: 'plain',
  },
  {
    name: 'an explicit raw_buffer chain beats the protocol-less one',
    chains: [chain('raw', { transport_protocol: 'raw_buffer' }), chain('plain')],
    conn: {},
    expected: 'raw',
  },
  // application protocols
  {
    name: 'ALPN is tried in the client\'s order of preference',
    chains: [chain('h2', { application_protocols: ['h2'] }), chain('h1', { application_protocols: ['http/1.1'] }), chain('none')],
    conn: { transportProtocol: 'tls', applicationProtocols: ['http/1.1', 'h2'] },
    expected: 'h1',
  },
  {
    name: 'unknown ALPN takes the chain without application_protocols',
    chains: [chain('h2', { application_protocols: ['h2'] }), chain('none')],
    conn: { applicationProtocols: ['h3'] },
    expected: 'none',
  },
  {
    name: 'Istio mTLS detection: the istio ALPN picks the TLS chain',
    chains: [
      chain('mtls', { transport_protocol: 'tls', application_protocols: ['istio-peer-exchange', 'istio'] }),
      chain('plain'),
    ],
    conn: { transportProtocol: 'tls', applicationProtocols: ['istio'] },
    expected: 'mtls',
  },
  // direct source IP
  {
    name: 'direct source prefix ranges match the TCP peer, not the PROXY-protocol source',
    chains: [chain('lb', { direct_source_prefix_ranges: [range('10.0.0.0', 8)] }), chain('none')],
    conn: { sourceIp: '203.0.113.9', directSourceIp: '10.0.0.5' },
    expected: 'lb',
  },
  {
    name: 'without a separate direct source the source IP is used',
    chains: [chain('lb', { direct_source_prefix_ranges: [range('10.0.0.0', 8)] }), chain('none')],
    conn: { sourceIp: '203.0.113.9' },
    expected: 'none',
  },
  // source type
  {
    name: 'a loopback peer is SAME_IP_OR_LOOPBACK',
    chains: [chain('local', { source_type: 'SAME_IP_OR_LOOPBACK' }), chain('any')],
    conn: { sourceIp: '127.0.0.1' },
    expected: 'local',
  },
  {
    name: 'a peer with the listener\'s own IP is SAME_IP_OR_LOOPBACK',
    chains: [chain('local', { source_type: 'SAME_IP_OR_LOOPBACK' }), chain('any')],
    conn: { sourceIp: '10.1.2.3', destinationIp: '10.1.2.3' },
    expected: 'local',
  },
  {
    name: 'an external peer falls back to ANY when no EXTERNAL chain exists',
    chains: [chain('local', { source_type: 'SAME_IP_OR_LOOPBACK' }), chain('any')],
    conn: { sourceIp: '10.9.9.9' },
    expected: 'any',
  },
  {
    name: 'an external peer takes the EXTERNAL chain',
    chains: [chain('external', { source_type: 'EXTERNAL' }), chain('any')],
    conn: { sourceIp: '8.8.8.8' },
    expected: 'external',
  },
  {
    name: 'a chosen source type commits: a source-IP miss below it does not fall back to ANY',
    chains: [chain('local-2', { source_type: 'SAME_IP_OR_LOOPBACK', source_prefix_ranges: [range('127.0.0.2', 32)] }), chain('any')],
    conn: { sourceIp: '127.0.0.1' },
    expected: undefined,
  },
  // source IP and port
  {
    name: 'the longest source prefix wins',
    chains: [chain('/8', { source_prefix_ranges: [range('10.0.0.0', 8)] }), chain('/24', { source_prefix_ranges: [range('10.9.9.0', 24)] }), chain('none')],
    conn: { sourceIp: '10.9.9.9' },
    expected: '/24',
  },
  {
    name: 'an exact source port beats the port-less chain',
    chains: [chain('port', { source_ports: [40000, 40001] }), chain('none')],
    conn: { sourcePort: 40001 },
    expected: 'port',
  },
  {
    name: 'another source port takes the port-less chain',
    chains: [chain('port', { source_ports: [40000] }), chain('none')],
    conn: { sourcePort: 5000 },
    expected: 'none',
  },
  // order of criteria
  {
    name: 'destination port is decided before server name',
    chains: [chain('p443', { destination_port: port(443) }), chain('sni', { server_names: ['a.com'] })],
    conn: { destinationPort: 443, serverName: 'a.com' },
    expected: 'p443',
  },
  {
    name: 'server name is decided before transport protocol',
    chains: [chain('sni', { server_names: ['a.com'] }), chain('tls', { transport_protocol: 'tls' })],
    conn: { serverName: 'a.com', transportProtocol: 'tls' },
    expected: 'sni',
  },
  {
    name: 'a fully specified chain is reached through every level',
    chains: [
      chain('full', {
        destination_port: port(443),
        prefix_ranges: [range('10.1.0.0', 16)],
        server_names: ['*.example.com'],
        transport_protocol: 'tls',
        application_protocols: ['h2'],
        direct_source_prefix_ranges: [range('10.9.0.0', 16)],
        source_type: 'EXTERNAL',
        source_prefix_ranges: [range('10.9.9.0', 24)],
        source_ports: [40000],
      }),
      chain('none'),
    ],
    conn: { destinationPort: 443, serverName: 'api.example.com', transportProtocol: 'tls', applicationProtocols: ['h2'] },
    expected: 'full',
  },
  { name: 'no chains at all match nothing', chains: [], conn: {}, expected: undefined },
];

describe('filter chain selection', () => {
  it.each(CASES)('$name', ({ chains, conn, expected }) => {
    expect(compile(chains).select({ ...CONN, ...conn })?.name).toBe(expected);
  });

  it.each(CASES)('with a default chain: $name', ({ chains, conn, expected }) => {
    expect(compile(chains, DEFAULT).select({ ...CONN, ...conn })?.name).toBe(expected ?? 'default');
  });

  it('returns the chain objects it was given (any carrier of filter_chain_match works)', () => {
    const runtime = { filter_chain_match: { destination_port: port(80) }, build: 'compiled-network-filters' };
    expect(compileFilterChainMatcher([runtime]).value?.select(CONN)).toBe(runtime);
  });

  it('accepts numeric source_type enum values', () => {
    expect(compile([chain('local', { source_type: 1 }), chain('any')]).select({ ...CONN, sourceIp: '::1', destinationIp: '::2' })?.name).toBe('local');
  });
});

describe('filter chain validation', () => {
  it.each([
    ['a bare "*" server name', { server_names: ['*'] }, 'filter_chains[0].filter_chain_match.server_names[0]', /partial wildcards/],
    ['a partial wildcard', { server_names: ['ok.com', 'w*.example.com'] }, 'filter_chains[0].filter_chain_match.server_names[1]', /partial wildcards/],
    ['a wildcard in the middle', { server_names: ['www.*.com'] }, 'filter_chains[0].filter_chain_match.server_names[0]', /partial wildcards/],
    ['a prefix_len too long', { prefix_ranges: [range('10.0.0.0', 33)] }, 'filter_chains[0].filter_chain_match.prefix_ranges[0]', /out of range for IPv4/],
    ['a malformed source range', { source_prefix_ranges: [range('10.0.0', 8)] }, 'filter_chains[0].filter_chain_match.source_prefix_ranges[0]', /malformed/],
    ['a malformed direct source range', { direct_source_prefix_ranges: [range('x', 8)] }, 'filter_chains[0].filter_chain_match.direct_source_prefix_ranges[0]', /malformed/],
    ['address_suffix', { address_suffix: '::1' }, 'filter_chains[0].filter_chain_match', /not implemented/],
    ['a destination port out of range', { destination_port: port(70000) }, 'filter_chains[0].filter_chain_match.destination_port', /out of range/],
    ['a source port of 0', { source_ports: [0] }, 'filter_chains[0].filter_chain_match.source_ports[0]', /out of range/],
  ])('rejects %s', (_what, match, path, message) => {
    const r = compileFilterChainMatcher([chain('bad', match as FilterChainMatchInput)]);
    expect(r.value).toBeUndefined();
    expect(r.errors).toEqual([expect.objectContaining({ path, message: expect.stringMatching(message) })]);
  });

  it.each([
    ['two chains without any criteria', [chain('a'), chain('b')]],
    ['identical server names', [chain('a', { server_names: ['x.com', 'y.com'] }), chain('b', { server_names: ['y.com'] })]],
    ['an explicit 0.0.0.0/0 and no prefix_ranges', [chain('a', { prefix_ranges: [range('0.0.0.0', 0)] }), chain('b')]],
    ['ranges that normalize to the same CIDR', [chain('a', { prefix_ranges: [range('10.1.0.0', 8)] }), chain('b', { prefix_ranges: [range('10.2.0.0', 8)] })]],
    ['a wildcard written twice', [chain('a', { server_names: ['*.x.com'] }), chain('b', { server_names: ['*.X.com'] })]],
  ])('rejects overlapping matching rules: %s', (_what, chains) => {
    const r = compileFilterChainMatcher(chains);
    expect(r.value).toBeUndefined();
    expect(r.errors).toEqual([{ path: 'filter_chains[1].filter_chain_match', message: expect.stringMatching(/overlaps .*filter_chains\[0\]/) }]);
  });

  it.each([
    ['different source ports', [chain('a', { source_ports: [1] }), chain('b', { source_ports: [2] })]],
    ['different destination ports', [chain('a', { destination_port: port(1) }), chain('b', { destination_port: port(2) })]],
    ['nested prefixes', [chain('a', { prefix_ranges: [range('10.0.0.0', 8)] }), chain('b', { prefix_ranges: [range('10.0.0.0', 9)] })]],
    ['an exact name and its wildcard', [chain('a', { server_names: ['a.x.com'] }), chain('b', { server_names: ['*.x.com'] })]],
    ['IPv4 and IPv6 catch-alls', [chain('a', { prefix_ranges: [range('0.0.0.0', 0)] }), chain('b', { prefix_ranges: [range('::', 0)] })]],
  ])('accepts non-overlapping rules: %s', (_what, chains) => {
    expect(compileFilterChainMatcher(chains).errors).toEqual([]);
  });

  it('collects every error with its path instead of stopping at the first', () => {
    const r = compileFilterChainMatcher(
      [chain('ok'), chain('bad1', { server_names: ['*'] }), chain('bad2', { prefix_ranges: [range('nope', 8)], source_ports: [70000] })],
      null,
      'listener.filter_chains',
    );
    expect(r.errors.map((e) => e.path)).toEqual([
      'listener.filter_chains[1].filter_chain_match.server_names[0]',
      'listener.filter_chains[2].filter_chain_match.source_ports[0]',
      'listener.filter_chains[2].filter_chain_match.prefix_ranges[0]',
    ]);
  });
});

describe('needsTlsInspector', () => {
  it.each([
    ['no match criteria', [chain('a')], false],
    ['destination ports only', [chain('a', { destination_port: port(80) })], false],
    ['server_names', [chain('a', { server_names: ['a.com'] })], true],
    ['transport_protocol tls', [chain('a', { transport_protocol: 'tls' })], true],
    ['application_protocols without a transport', [chain('a', { application_protocols: ['h2'] })], true],
    ['application_protocols on raw_buffer (the HTTP inspector\'s job)', [chain('a', { transport_protocol: 'raw_buffer', application_protocols: ['http/1.1'] })], false],
    ['one chain of several', [chain('a'), chain('b', { server_names: ['b.com'] })], true],
  ])('%s: %s', (_what, chains, expected) => {
    expect(needsTlsInspector(chains)).toBe(expected);
  });
});

// ---- the shapes Pilot generates, decoded exactly as the proxy receives them over xDS ----
const LISTENER = 'envoy.config.listener.v3.Listener';
const GOLDEN_DIR = fileURLToPath(new URL('../../../pilot/src/networking/testdata/golden/', import.meta.url));

function decodeListener(json: Record<string, unknown>): Listener__Output {
  const registry = loadProtoRegistry();
  const { ['@type']: _type, ...fields } = json;
  const { value, issues } = registry.readJson(LISTENER, fields);
  if (!value) throw new Error(JSON.stringify(issues));
  return registry.decode<Listener__Output>(LISTENER, registry.encode(LISTENER, value));
}

function goldenListener(file: string, name: string): Listener__Output {
  const doc = parse(readFileSync(GOLDEN_DIR + file, 'utf8')) as { resources: Array<Record<string, unknown>> };
  const found = doc.resources.find((r) => r['name'] === name);
  if (!found) throw new Error(`${name} not in ${file}`);
  return decodeListener(found);
}

function selectIndex(listener: Listener__Output, conn: Partial<ConnectionInfo>): number | 'default' | undefined {
  const r = compileFilterChainMatcher(listener.filter_chains, listener.default_filter_chain);
  if (!r.value) throw new Error(JSON.stringify(r.errors));
  const picked: FilterChain__Output | undefined = r.value.select({ ...CONN, ...conn });
  if (picked === undefined) return undefined;
  return picked === listener.default_filter_chain ? 'default' : listener.filter_chains.indexOf(picked);
}

describe('Pilot virtualInbound (bookinfo sidecar golden)', () => {
  const inbound = goldenListener('bookinfo-sidecar.lds.yaml', 'virtualInbound');

  it('has the passthrough chain first and one chain per workload port', () => {
    expect(inbound.filter_chains.map((c) => c.filter_chain_match?.destination_port?.value ?? 0)).toEqual([0, 9080]);
  });

  it.each([
    ['the workload port goes to its HTTP chain', { destinationIp: '10.1.0.10', destinationPort: 9080 }, 1],
    ['any other port goes to the IPv4 passthrough chain', { destinationIp: '10.1.0.10', destinationPort: 3306 }, 0],
    ['the workload port wins even for another destination IP', { destinationIp: '10.1.0.99', destinationPort: 9080 }, 1],
    ['IPv6 on another port has no passthrough (0.0.0.0/0 only) and no default', { destinationIp: 'fd00::1', destinationPort: 3306 }, undefined],
  ] as const)('%s', (_what, conn, expected) => {
    expect(selectIndex(inbound, conn)).toBe(expected);
  });

  it('does not need the TLS inspector', () => {
    expect(needsTlsInspector(inbound.filter_chains)).toBe(false);
  });
});

describe('Pilot gateway listeners', () => {
  const golden443 = goldenListener('weather-gateway.lds.yaml', '0.0.0.0_443');

  it.each([
    ['the server\'s host', { serverName: 'www.weather.cn', transportProtocol: 'tls' }, 0],
    ['an uppercase SNI', { serverName: 'WWW.Weather.CN', transportProtocol: 'tls' }, 0],
    ['another host', { serverName: 'www.example.com', transportProtocol: 'tls' }, undefined],
    ['no SNI', { transportProtocol: 'tls' }, undefined],
  ] as const)('golden 0.0.0.0_443 with %s', (_what, conn, expected) => {
    expect(selectIndex(golden443, { destinationPort: 443, ...conn })).toBe(expected);
  });

  it('golden 0.0.0.0_443 needs (and has) the TLS inspector', () => {
    expect(needsTlsInspector(golden443.filter_chains)).toBe(true);
    expect(golden443.listener_filters.map((f) => f.name)).toContain('envoy.filters.listener.tls_inspector');
  });

  // A Gateway with several HTTPS servers, one of them a wildcard host, as Pilot renders it: one
  // chain per server keyed by server_names, plus a default chain for clients without SNI.
  const multiServer = decodeListener({
    name: '0.0.0.0_443',
    address: { socketAddress: { address: '0.0.0.0', portValue: 443 } },
    filterChains: [
      { filterChainMatch: { serverNames: ['bookinfo.example.com'] }, filters: [{ name: 'envoy.filters.network.http_connection_manager' }] },
      { filterChainMatch: { serverNames: ['*.example.com'] }, filters: [{ name: 'envoy.filters.network.http_connection_manager' }] },
      { filterChainMatch: { serverNames: ['*.apps.example.com', 'legacy.example.org'] }, filters: [{ name: 'envoy.filters.network.tcp_proxy' }] },
    ],
    defaultFilterChain: { filters: [{ name: 'envoy.filters.network.tcp_proxy' }] },
    listenerFilters: [{ name: 'envoy.filters.listener.tls_inspector' }],
  });

  it.each([
    ['exact host', 'bookinfo.example.com', 0],
    ['wildcard host', 'reviews.example.com', 1],
    ['the longer wildcard', 'shop.apps.example.com', 2],
    ['a second name of the same server', 'legacy.example.org', 2],
    ['a host no server covers', 'example.com', 'default'],
    ['no SNI', undefined, 'default'],
  ] as const)('several HTTPS servers: %s', (_what, serverName, expected) => {
    const conn: Partial<ConnectionInfo> = { destinationPort: 443, transportProtocol: 'tls', ...(serverName ? { serverName } : {}) };
    expect(selectIndex(multiServer, conn)).toBe(expected);
  });
});
