import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { compileTransportSocketMatches, isSubset, structToJson } from './transport-socket-matches.js';
import { PLAINTEXT, type UpstreamTransport } from './upstream-tls-context.js';

const struct = (o: Record<string, string>) => ({ fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { kind: 'string_value', string_value: v }])) });
const RAW = { name: 'envoy.transport_sockets.raw_buffer' };
const metadata = (o: Record<string, string>) => ({ filter_metadata: { 'envoy.transport_socket_match': struct(o) } });

describe('structToJson and isSubset', () => {
  it('reads a decoded Struct and plain JSON alike', () => {
    expect(structToJson(struct({ tlsMode: 'istio' }))).toEqual({ tlsMode: 'istio' });
    expect(structToJson({ tlsMode: 'istio' })).toEqual({ tlsMode: 'istio' });
    expect(structToJson({ fields: { n: { number_value: 2 }, b: { kind: 'bool_value', bool_value: true }, l: { list_value: { values: [{ string_value: 'x' }] } } } })).toEqual({ n: 2, b: true, l: ['x'] });
  });

  it.each([
    [{}, {}, true],
    [{}, { tlsMode: 'istio' }, true],
    [{ tlsMode: 'istio' }, { tlsMode: 'istio', other: 'x' }, true],
    [{ tlsMode: 'istio' }, { tlsMode: 'disabled' }, false],
    [{ tlsMode: 'istio' }, {}, false],
  ])('%j ⊆ %j is %s', (match, md, expected) => {
    expect(isSubset(match, md)).toBe(expected);
  });
});

describe('compileTransportSocketMatches', () => {
  // The TLS socket is stood in for by an unknown-to-raw transport: only the choice matters here.
  const fallback: UpstreamTransport = { kind: 'unavailable', reason: 'cluster default' };
  const unpack = () => {
    throw new Error('not used');
  };

  it("picks Istio's tlsMode-istio match for labelled endpoints, the {} match for the others", () => {
    const matches = [
      { name: 'tlsMode-istio', match: struct({ tlsMode: 'istio' }), transport_socket: RAW },
      { name: 'tlsMode-disabled', match: struct({}), transport_socket: RAW },
    ];
    const m = compileTransportSocketMatches(matches, fallback, unpack, new IssueCollector(''))!;
    expect(m.select(metadata({ tlsMode: 'istio' })).name).toBe('tlsMode-istio');
    expect(m.select(metadata({ tlsMode: 'disabled' })).name).toBe('tlsMode-disabled');
    expect(m.select(undefined).name).toBe('tlsMode-disabled');
    expect(m.select(undefined).transport).toEqual(PLAINTEXT);
  });

  it("falls back to the cluster's transport_socket (named default) when nothing matches", () => {
    const m = compileTransportSocketMatches([{ name: 'istio', match: struct({ tlsMode: 'istio' }), transport_socket: RAW }], fallback, unpack, new IssueCollector(''))!;
    expect(m.select(metadata({ app: 'x' }))).toEqual({ name: 'default', transport: fallback });
  });

  it('is undefined without matches', () => {
    expect(compileTransportSocketMatches([], fallback, unpack, new IssueCollector(''))).toBeUndefined();
  });

  it('reports duplicate names and bad sockets with their paths', () => {
    const issues = new IssueCollector('');
    compileTransportSocketMatches(
      [
        { name: 'a', transport_socket: RAW },
        { name: 'a', transport_socket: { name: 'envoy.transport_sockets.alts', typed_config: { type_url: 'type.googleapis.com/x.Alts', value: new Uint8Array() } } },
      ],
      fallback,
      unpack,
      issues,
    );
    expect(issues.errors).toEqual([
      { path: 'transport_socket_matches[1].name', message: 'duplicate transport socket match name "a"' },
      { path: 'transport_socket_matches[1].transport_socket', message: 'transport socket envoy.transport_sockets.alts (type.googleapis.com/x.Alts) is not supported' },
    ]);
  });
});
