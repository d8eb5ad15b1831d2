import { describe, expect, it } from 'vitest';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import type { ClusterLookup, UpstreamCluster } from '../../../../upstream/upstream-cluster.js';
import { createPeerMetadataFilter, peerOf, PEER_METADATA_HEADER as MD, PEER_METADATA_ID_HEADER as ID } from './peer-metadata-filter.js';

const local = { id: 'sidecar~me', metadata: 'bWU=' };
const INBOUND = { downstream_discovery: [{ method_specifier: 'istio_headers', istio_headers: {} }, { method_specifier: 'workload_discovery' }], downstream_propagation: [{ method_specifier: 'istio_headers', istio_headers: {} }] };
const outbound = (skip = false) => ({ upstream_discovery: [{ method_specifier: 'istio_headers', istio_headers: {} }], upstream_propagation: [{ method_specifier: 'istio_headers', istio_headers: { skip_external_clusters: skip } }] });

const externalMeta = (key: string) => ({ config: { metadata: { filter_metadata: { istio: { fields: { [key]: { kind: 'bool_value', bool_value: true } } } } } } });
const clusters: ClusterLookup = { get: (n) => ({ external: externalMeta('external'), nomx: externalMeta('disable_mx') })[n] as unknown as UpstreamCluster | undefined };

/** A stream whose response records the headers it was written with. */
function stream(cluster: string, downstream: Record<string, string> = {}) {
  const written: { headers?: Record<string, unknown> } = {};
  const response = { writeHead: (_s: number, h: Record<string, unknown>) => (written.headers = h) };
  const ctx = { decision: { kind: 'forward', cluster }, downstreamHeaders: downstream, upstreamHeaders: { ...downstream }, response } as unknown as RoutedStream;
  return { ctx, written, respond: (h: Record<string, unknown>) => (ctx.response as unknown as typeof response).writeHead(200, h) };
}

describe('istio.metadata_exchange (HTTP)', () => {
  it('outbound: announces this node upstream, takes the peer off the response', () => {
    const s = stream('outbound|80||b');
    createPeerMetadataFilter(outbound(), local, clusters).decode(s.ctx);
    expect(s.ctx.upstreamHeaders).toMatchObject({ [ID]: 'sidecar~me', [MD]: 'bWU=' });
    s.respond({ 'content-type': 'text/plain', [ID]: 'sidecar~b', [MD]: 'Yg==' });
    expect(s.written.headers).toEqual({ 'content-type': 'text/plain' });
    expect(peerOf(s.ctx, 'upstream')).toEqual({ id: 'sidecar~b', metadata: 'Yg==' });
  });

  it.each([
    ['PassthroughCluster', true, false],
    ['external', true, false],
    ['external', false, true],
    ['nomx', false, false],
  ])('outbound to %s (skip_external_clusters %s) sends the headers: %s', (cluster, skip, sent) => {
    const s = stream(cluster);
    createPeerMetadataFilter(outbound(skip), local, clusters).decode(s.ctx);
    expect(s.ctx.upstreamHeaders[ID] !== undefined).toBe(sent);
  });

  it('inbound: takes the peer off the request and answers with this node', () => {
    const s = stream('inbound|80||', { [ID]: 'sidecar~a', [MD]: 'YQ==', accept: '*/*' });
    createPeerMetadataFilter(INBOUND, local, clusters).decode(s.ctx);
    expect(s.ctx.upstreamHeaders).toEqual({ accept: '*/*' });
    expect(peerOf(s.ctx, 'downstream')).toEqual({ id: 'sidecar~a', metadata: 'YQ==' });
    s.respond({});
    expect(s.written.headers).toEqual({ [ID]: 'sidecar~me', [MD]: 'bWU=' });
  });

  it('inbound: tells nothing to a client that did not announce itself', () => {
    const s = stream('inbound|80||');
    createPeerMetadataFilter(INBOUND, local, clusters).decode(s.ctx);
    s.respond({ a: '1' });
    expect(s.written.headers).toEqual({ a: '1' });
  });

  it('without a node, still strips but announces nothing', () => {
    const s = stream('outbound|80||b');
    createPeerMetadataFilter(outbound(), undefined, clusters).decode(s.ctx);
    expect(s.ctx.upstreamHeaders[ID]).toBeUndefined();
    s.respond({ [ID]: 'x', [MD]: 'eA==' });
    expect(s.written.headers).toEqual({});
  });
});
