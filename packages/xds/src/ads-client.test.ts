import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { AdsClient } from './ads-client.js';
import { accept } from './client-types.js';

describe('AdsClient', () => {
  it('refuses to subscribe or start once closed', () => {
    const client = new AdsClient({ target: '127.0.0.1:1', node: { id: 'n' } });
    client.close();
    expect(() => client.subscribe(TypeUrl.Cluster, () => accept())).toThrow(expect.objectContaining({ code: 'WEFT_XDS_CLIENT_CLOSED' }));
    expect(() => client.start()).toThrow(expect.objectContaining({ code: 'WEFT_XDS_CLIENT_CLOSED' }));
  });

  it('starts with nothing accepted', () => {
    const client = new AdsClient({ target: '127.0.0.1:1', node: { id: 'n' }, protocol: 'delta' });
    client.subscribe(TypeUrl.Cluster, () => accept());
    expect([client.acceptedVersion(TypeUrl.Cluster), client.resources(TypeUrl.Cluster).size, client.isConnected]).toEqual(['', 0, false]);
    client.close();
  });
});
