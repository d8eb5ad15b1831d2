import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import type { ClusterLookup, UpstreamCluster } from '../../../../upstream/upstream-cluster.js';
import { checkAlpnConfig, createAlpnFilter, upstreamAlpnOverride } from './alpn-filter.js';

// istiod's istio.alpn config (pilot/pkg/xds/filters: mtlsHTTP10ALPN, mtlsHTTP11ALPN, mtlsHTTP2ALPN).
const ISTIOD = {
  alpn_override: [
    { upstream_protocol: 'HTTP10' as const, alpn_override: ['istio-http/1.0', 'istio', 'http/1.0'] },
    { upstream_protocol: 'HTTP11' as const, alpn_override: ['istio-http/1.1', 'istio', 'http/1.1'] },
    { upstream_protocol: 'HTTP2' as const, alpn_override: ['istio-h2', 'istio', 'h2'] },
  ],
};

const istioMeta = (alpn: string) => ({ metadata: { filter_metadata: { istio: { fields: { alpn_override: { kind: 'string_value', string_value: alpn } } } } } });

function lookup(clusters: Record<string, object>): ClusterLookup {
  return { get: (n) => clusters[n] as UpstreamCluster | undefined };
}

function stream(cluster: string): RoutedStream {
  return { decision: { kind: 'forward', cluster } } as unknown as RoutedStream;
}

describe('istio.alpn', () => {
  const byProtocol = checkAlpnConfig(ISTIOD, new IssueCollector());
  const filter = createAlpnFilter(
    byProtocol,
    lookup({ h2: { protocol: 'http2' }, h1: { protocol: 'http1' }, external: { protocol: 'http2', config: istioMeta('false') }, mesh: { protocol: 'http1', config: istioMeta('true') } }),
  );

  it.each([
    ['h2', ['istio-h2', 'istio', 'h2']],
    ['h1', ['istio-http/1.1', 'istio', 'http/1.1']],
    ['mesh', ['istio-http/1.1', 'istio', 'http/1.1']],
    ['external', undefined],
    ['no-such-cluster', undefined],
  ])('cluster %s gets ALPN %j', (cluster, expected) => {
    const ctx = stream(cluster);
    expect(filter.decode(ctx)).toBe('continue');
    expect(upstreamAlpnOverride(ctx)).toEqual(expected);
  });

  it.each([
    ['HTTP/2', ['istio-h2', 'istio', 'h2']],
    ['HTTP/1.1', ['istio-http/1.1', 'istio', 'http/1.1']],
  ] as const)('a use_downstream_protocol_config cluster gets the ALPN of the downstream protocol (%s)', (protocol, expected) => {
    const downstream = createAlpnFilter(byProtocol, lookup({ d: { protocol: 'http1', poolProtocol: 'downstream' } }));
    const ctx = { decision: { kind: 'forward', cluster: 'd' }, protocol } as unknown as RoutedStream;
    downstream.decode(ctx);
    expect(upstreamAlpnOverride(ctx)).toEqual(expected);
  });

  it('refuses an empty protocol name, with its path', () => {
    const issues = new IssueCollector('typed_config');
    checkAlpnConfig({ alpn_override: [{ upstream_protocol: 'HTTP2', alpn_override: ['h2', ''] }] }, issues);
    expect(issues.errors.map((e) => e.path)).toEqual(['typed_config.alpn_override[0].alpn_override[1]']);
  });
});
