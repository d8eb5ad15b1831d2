import { describe, expect, it } from 'vitest';
import { MAX_UNRESOLVED, ResourceAcks, TypeSync } from './sync-status.js';

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

const r = (name: string, version: string) => ({ name, version });
const BAD = { code: 3, message: 'bad' };

describe('ResourceAcks, complete (SotW LDS/CDS)', () => {
  it('reads statuses off the last ACKed and the latest sent response', () => {
    const acks = new ResourceAcks(true);
    expect(acks.statuses(undefined, undefined)).toEqual([]);
    acks.recordSent('1', [r('b', 'b1'), r('a', 'a1'), r('c', 'c1')]);
    expect(acks.statuses(undefined, undefined)).toEqual([
      { name: 'a', version: 'a1', status: 'SENT', nonce: '1' },
      { name: 'b', version: 'b1', status: 'SENT', nonce: '1' },
      { name: 'c', version: 'c1', status: 'SENT', nonce: '1' },
    ]);
    acks.resolve('1', undefined);
    expect(acks.statuses(undefined, undefined)).toEqual([
      { name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '1' },
      { name: 'b', version: 'b1', status: 'ACKED', ackedVersion: 'b1', nonce: '1' },
      { name: 'c', version: 'c1', status: 'ACKED', ackedVersion: 'c1', nonce: '1' },
    ]);
    // b changes and c is gone: a stays ACKED at its version (and at the nonce that ACKed it).
    acks.recordSent('2', [r('a', 'a1'), r('b', 'b2')]);
    expect(acks.statuses(undefined, undefined)).toEqual([
      { name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '1' },
      { name: 'b', version: 'b2', status: 'SENT', ackedVersion: 'b1', nonce: '2' },
      { name: 'c', version: '', status: 'SENT', ackedVersion: 'c1', nonce: '2', removed: true },
    ]);
    acks.resolve('2', BAD);
    expect(acks.statuses(undefined, undefined)).toEqual([
      { name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '1' },
      { name: 'b', version: 'b2', status: 'NACKED', error: BAD, ackedVersion: 'b1', nonce: '2' },
      { name: 'c', version: '', status: 'NACKED', error: BAD, ackedVersion: 'c1', nonce: '2', removed: true },
    ]);
    // The next ACKed response decides for every resource: the removal is done.
    acks.recordSent('3', [r('a', 'a1'), r('b', 'b3')]);
    acks.resolve('3', undefined);
    expect(acks.statuses(undefined, undefined)).toEqual([
      { name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '3' },
      { name: 'b', version: 'b3', status: 'ACKED', ackedVersion: 'b3', nonce: '3' },
    ]);
  });

  it('shows a NACK of the first response with its error and no acked version', () => {
    const acks = new ResourceAcks(true);
    acks.recordSent('1', [r('a', 'a1')]);
    acks.resolve('1', BAD);
    expect(acks.statuses(undefined, undefined)).toEqual([{ name: 'a', version: 'a1', status: 'NACKED', error: BAD, nonce: '1' }]);
  });

  it('resolves an older nonce as ACKED and leaves the newer response SENT', () => {
    const acks = new ResourceAcks(true);
    acks.recordSent('1', [r('a', 'a1'), r('b', 'b1')]);
    acks.recordSent('2', [r('a', 'a1'), r('b', 'b2')]);
    acks.resolve('1', undefined);
    expect(acks.statuses(undefined, undefined)).toEqual([
      { name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '1' },
      { name: 'b', version: 'b2', status: 'SENT', ackedVersion: 'b1', nonce: '2' },
    ]);
    // Answered once: the same nonce again resolves nothing, an unknown one neither.
    acks.resolve('1', BAD);
    acks.resolve('9', BAD);
    acks.resolve('', BAD);
    expect(acks.statuses(undefined, undefined).map((s) => s.status)).toEqual(['ACKED', 'SENT']);
    acks.resolve('2', undefined);
    expect(acks.statuses(undefined, undefined).map((s) => [s.status, s.nonce])).toEqual([
      ['ACKED', '2'],
      ['ACKED', '2'],
    ]);
  });

  it('shows subscribed names the responses do not carry as REQUESTED', () => {
    const acks = new ResourceAcks(true);
    acks.recordSent('1', [r('b', 'b1')]);
    expect(acks.statuses(undefined, { names: new Set(['c', 'a', 'b']) })).toEqual([
      { name: 'a', version: '', status: 'REQUESTED', nonce: '' },
      { name: 'b', version: 'b1', status: 'SENT', nonce: '1' },
      { name: 'c', version: '', status: 'REQUESTED', nonce: '' },
    ]);
  });
});

describe('ResourceAcks, per name (SotW EDS/RDS, Delta)', () => {
  /** Drives ResourceAcks as the streams do: `current` is the stream's name → version of what it sent. */
  function perName() {
    const acks = new ResourceAcks(false);
    const current = new Map<string, string>();
    return {
      acks,
      current,
      send(nonce: string, resources: { name: string; version: string }[], removed: string[] = []) {
        for (const x of resources) current.set(x.name, x.version);
        for (const name of removed) current.delete(name);
        acks.recordSent(nonce, resources, removed);
      },
      statuses: (subscribed?: string[]) => acks.statuses(current, subscribed ? { names: new Set(subscribed) } : undefined),
      state: (subscribed?: string[]) => acks.statuses(current, subscribed ? { names: new Set(subscribed) } : undefined).map((s) => `${s.name}:${s.status}`),
    };
  }

  it('is SENT while unresolved, and a nonce ACKs every earlier response with it', () => {
    const p = perName();
    p.send('1', [r('b', 'b1'), r('a', 'a1')]);
    p.send('2', [r('b', 'b2')]);
    expect(p.statuses()).toEqual([
      { name: 'a', version: 'a1', status: 'SENT', nonce: '1' },
      { name: 'b', version: 'b2', status: 'SENT', nonce: '2' },
    ]);
    p.acks.resolve('2', undefined);
    expect(p.statuses()).toEqual([
      { name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '2' },
      { name: 'b', version: 'b2', status: 'ACKED', ackedVersion: 'b2', nonce: '2' },
    ]);
  });

  it('NACKs only the names the rejected response carried, until a later ACKed response carries them', () => {
    const p = perName();
    p.send('1', [r('a', 'a1'), r('b', 'b1')]);
    p.acks.resolve('1', undefined);
    p.send('2', [r('a', 'a2')]);
    p.acks.resolve('2', BAD);
    expect(p.statuses()).toEqual([
      { name: 'a', version: 'a2', status: 'NACKED', error: BAD, nonce: '2' },
      { name: 'b', version: 'b1', status: 'ACKED', ackedVersion: 'b1', nonce: '1' },
    ]);
    // An ACKed response without a leaves its NACK in place.
    p.send('3', [r('b', 'b2')]);
    p.acks.resolve('3', undefined);
    expect(p.state()).toEqual(['a:NACKED', 'b:ACKED']);
    // Sent again: SENT, then ACKED.
    p.send('4', [r('a', 'a3')]);
    expect(p.statuses()[0]).toEqual({ name: 'a', version: 'a3', status: 'SENT', nonce: '4' });
    p.acks.resolve('4', undefined);
    expect(p.statuses()).toEqual([
      { name: 'a', version: 'a3', status: 'ACKED', ackedVersion: 'a3', nonce: '4' },
      { name: 'b', version: 'b2', status: 'ACKED', ackedVersion: 'b2', nonce: '4' },
    ]);
  });

  it('resolves a stale (older) nonce: ACK or NACK of that response, the newer one still SENT', () => {
    const p = perName();
    p.send('1', [r('a', 'a1')]);
    p.send('2', [r('b', 'b1')]);
    p.acks.resolve('1', BAD);
    expect(p.statuses()).toEqual([
      { name: 'a', version: 'a1', status: 'NACKED', error: BAD, nonce: '1' },
      { name: 'b', version: 'b1', status: 'SENT', nonce: '2' },
    ]);
    p.acks.resolve('2', undefined);
    expect(p.state()).toEqual(['a:NACKED', 'b:ACKED']);
    const q = perName();
    q.send('1', [r('a', 'a1')]);
    q.send('2', [r('b', 'b1')]);
    q.acks.resolve('1', undefined);
    expect(q.state()).toEqual(['a:ACKED', 'b:SENT']);
  });

  it('shows removals pending and NACKed with removed: true, and forgets them once ACKed', () => {
    const p = perName();
    p.send('1', [r('a', 'a1'), r('b', 'b1'), r('c', 'c1')]);
    p.acks.resolve('1', undefined);
    p.send('2', [], ['b']);
    expect(p.statuses()).toEqual([
      { name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '1' },
      { name: 'b', version: '', status: 'SENT', nonce: '2', removed: true },
      { name: 'c', version: 'c1', status: 'ACKED', ackedVersion: 'c1', nonce: '1' },
    ]);
    p.acks.resolve('2', undefined);
    expect(p.state()).toEqual(['a:ACKED', 'c:ACKED']);
    p.send('3', [], ['c']);
    p.acks.resolve('3', BAD);
    expect(p.statuses()).toEqual([
      { name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '2' },
      { name: 'c', version: '', status: 'NACKED', error: BAD, nonce: '3', removed: true },
    ]);
    // Added back and ACKed: no longer removed, no longer NACKed.
    p.send('4', [r('c', 'c2')]);
    p.acks.resolve('4', undefined);
    expect(p.statuses()[1]).toEqual({ name: 'c', version: 'c2', status: 'ACKED', ackedVersion: 'c2', nonce: '4' });
  });

  it('forget() drops a name’s NACK', () => {
    const p = perName();
    p.send('1', [r('a', 'a1'), r('b', 'b1')]);
    p.acks.resolve('1', BAD);
    p.send('2', [], ['b']);
    p.acks.resolve('2', BAD);
    expect(p.state()).toEqual(['a:NACKED', 'b:NACKED']);
    // b (a NACKed removal, shown though not held) is unsubscribed: gone. a is forgotten but still held.
    p.acks.forget('b');
    p.acks.forget('a');
    expect(p.statuses()).toEqual([{ name: 'a', version: 'a1', status: 'ACKED', ackedVersion: 'a1', nonce: '' }]);
  });

  it('shows subscribed names not sent as REQUESTED, sorted among the others', () => {
    const p = perName();
    p.send('1', [r('m', 'm1')]);
    expect(p.statuses(['z', 'm', 'a'])).toEqual([
      { name: 'a', version: '', status: 'REQUESTED', nonce: '' },
      { name: 'm', version: 'm1', status: 'SENT', nonce: '1' },
      { name: 'z', version: '', status: 'REQUESTED', nonce: '' },
    ]);
  });

  it('past MAX_UNRESOLVED unanswered responses shows what only the dropped one carried as UNKNOWN, until a later ACKed response carries it', () => {
    const p = perName();
    p.send('1', [r('a', 'a1'), r('b', 'b1'), r('c', 'c1')]);
    for (let i = 2; i <= MAX_UNRESOLVED; i++) p.send(String(i), [r('b', `b${i}`)]);
    expect(p.state()).toEqual(['a:SENT', 'b:SENT', 'c:SENT']);
    p.send(String(MAX_UNRESOLVED + 1), [r('b', 'b-last')]);
    expect(p.statuses()).toEqual([
      { name: 'a', version: 'a1', status: 'UNKNOWN', nonce: '' },
      { name: 'b', version: 'b-last', status: 'SENT', nonce: String(MAX_UNRESOLVED + 1) },
      { name: 'c', version: 'c1', status: 'UNKNOWN', nonce: '' },
    ]);
    // The dropped response's answer resolves nothing; the latest's does not carry a or c.
    p.acks.resolve('1', undefined);
    expect(p.state()).toEqual(['a:UNKNOWN', 'b:SENT', 'c:UNKNOWN']);
    p.acks.resolve(String(MAX_UNRESOLVED + 1), undefined);
    expect(p.state()).toEqual(['a:UNKNOWN', 'b:ACKED', 'c:UNKNOWN']);
    p.send('100', [r('a', 'a2')]);
    expect(p.state()).toEqual(['a:SENT', 'b:ACKED', 'c:UNKNOWN']);
    p.acks.resolve('100', undefined);
    expect(p.state()).toEqual(['a:ACKED', 'b:ACKED', 'c:UNKNOWN']);
    // A NACK of a response carrying it tells what became of it too.
    p.send('101', [r('c', 'c2')]);
    p.acks.resolve('101', BAD);
    expect(p.state()).toEqual(['a:ACKED', 'b:ACKED', 'c:NACKED']);
  });

  it('forget() drops a name’s UNKNOWN state', () => {
    const p = perName();
    p.send('1', [r('a', 'a1')]);
    for (let i = 2; i <= MAX_UNRESOLVED + 1; i++) p.send(String(i), [r('b', `b${i}`)]);
    expect(p.state()).toEqual(['a:UNKNOWN', 'b:SENT']);
    p.acks.forget('a');
    p.acks.resolve(String(MAX_UNRESOLVED + 1), undefined);
    expect(p.state()).toEqual(['a:ACKED', 'b:ACKED']);
  });
});
