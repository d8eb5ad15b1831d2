import { describe, expect, it } from 'vitest';
import { TypeSync } from './sync-status.js';

describe('TypeSync.classify', () => {
  const sent = (): TypeSync => {
    const t = new TypeSync('t');
    t.recordSent('v1', '1');
    t.recordSent('v2', '2');
    return t;
  };
  it.each([
    { name: 'first request', sync: () => new TypeSync('t'), nonce: '', error: false, want: 'initial' },
    { name: 'no nonce after a send', sync: sent, nonce: '', error: false, want: 'update' },
    { name: 'latest nonce, no error', sync: sent, nonce: '2', error: false, want: 'ack' },
    { name: 'latest nonce with error_detail', sync: sent, nonce: '2', error: true, want: 'nack' },
    { name: 'older nonce', sync: sent, nonce: '1', error: false, want: 'stale' },
    { name: 'older nonce with error', sync: sent, nonce: '1', error: true, want: 'stale' },
  ])('$name → $want', ({ sync, nonce, error, want }) => {
    expect(sync().classify(nonce, error)).toBe(want);
  });

  it('keeps the last NACK after a later ACK', () => {
    const t = new TypeSync('t');
    t.recordSent('v1', '1');
    t.recordNack({ rejectedVersion: 'v1', nonce: '1', errorDetail: { code: 3, message: 'bad' }, lastGoodVersion: '' });
    t.recordSent('v2', '2');
    t.recordAck('v2', '2');
    expect(t.status()).toEqual({
      typeUrl: 't',
      sentVersion: 'v2',
      sentNonce: '2',
      ackedVersion: 'v2',
      ackedNonce: '2',
      lastNack: { rejectedVersion: 'v1', nonce: '1', errorDetail: { code: 3, message: 'bad' }, lastGoodVersion: '' },
    });
  });
});
