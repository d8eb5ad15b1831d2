import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { ClientSubscription } from './client-subscription.js';
import { accept } from './client-types.js';

const res = (name: string, version = 'v1') => ({ name, version, value: { name } });

describe('ClientSubscription', () => {
  it('builds SotW requests: legacy wildcard as no names, ACK with the accepted version, NACK with error_detail', () => {
    const sub = new ClientSubscription(TypeUrl.Cluster, () => accept(), '*');
    expect(sub.sotwRequest({ node: { id: 'n' } })).toEqual({ version_info: '', resource_names: [], type_url: TypeUrl.Cluster, response_nonce: '', node: { id: 'n' } });
    sub.commit({ typeUrl: TypeUrl.Cluster, protocol: 'sotw', version: 'v1', nonce: '1', resources: [res('a')], removed: [] });
    expect(sub.sotwRequest({ nonce: '1' })).toMatchObject({ version_info: 'v1', response_nonce: '1' });
    expect(sub.sotwRequest({ nonce: '2', error: 'bad' })).toMatchObject({ version_info: 'v1', response_nonce: '2', error_detail: { code: 3, message: 'bad' } });
  });

  it('treats LDS/CDS SotW responses as the full state', () => {
    const sub = new ClientSubscription(TypeUrl.Cluster, () => accept(), '*');
    sub.commit({ typeUrl: TypeUrl.Cluster, protocol: 'sotw', version: 'v1', nonce: '1', resources: [res('a'), res('b')], removed: [] });
    expect(sub.sotwRemoved([res('a')])).toEqual(['b']);
    const eds = new ClientSubscription(TypeUrl.ClusterLoadAssignment, () => accept(), ['a', 'b']);
    expect(eds.sotwRemoved([res('a')])).toEqual([]);
  });

  it('builds the Delta reconnect request from the held versions', () => {
    const sub = new ClientSubscription(TypeUrl.ClusterLoadAssignment, () => accept(), ['a', 'b']);
    sub.commit({ typeUrl: TypeUrl.ClusterLoadAssignment, protocol: 'delta', version: 's', nonce: '1', resources: [res('a', 'h1')], removed: [] });
    expect(sub.deltaInitialRequest()).toEqual({
      type_url: TypeUrl.ClusterLoadAssignment,
      resource_names_subscribe: ['a', 'b'],
      initial_resource_versions: { a: 'h1' },
    });
  });

  it('reports name changes as subscribe/unsubscribe and drops unsubscribed state', () => {
    const sub = new ClientSubscription(TypeUrl.ClusterLoadAssignment, () => accept(), ['a', 'b']);
    sub.commit({ typeUrl: TypeUrl.ClusterLoadAssignment, protocol: 'delta', version: 's', nonce: '1', resources: [res('a'), res('b')], removed: [] });
    expect(sub.setNames(['b', 'c'])).toEqual({ subscribe: ['c'], unsubscribe: ['a'] });
    expect([...sub.resources.keys()]).toEqual(['b']);
    expect(sub.setNames('*')).toEqual({ subscribe: ['*'], unsubscribe: ['b', 'c'] });
  });
});
