import { TypeUrl, type DiscoveryRequest__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { registry } from '../test/resources.js';
import { adsMethod } from './ads-service.js';
import { NamesInterner, internedRequestDecoder, resourceNamesSpan } from './request-decoder.js';
import { sotwSubscription } from './subscription.js';

const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const generic = adsMethod(registry, 'StreamAggregatedResources').requestDeserialize as (b: Buffer) => DiscoveryRequest__Output;
const encode = (message: object): Buffer => Buffer.from(registry.encode(REQUEST, message));
const clusters = (n: number, prefix = 'outbound|80||svc'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}.ns.svc.cluster.local`);

const request = (names: string[], nonce = '7') => ({
  version_info: 'v3',
  node: { id: 'sidecar~10.0.0.1~a.ns~ns.svc.cluster.local', cluster: 'a.ns' },
  resource_names: names,
  type_url: TypeUrl.ClusterLoadAssignment,
  response_nonce: nonce,
});

/** A hand-made field: tag (field number, wire type 2) and a length-delimited string. */
const field = (num: number, text: string): Buffer => {
  const body = Buffer.from(text);
  return Buffer.concat([Buffer.from([(num << 3) | 2, body.length]), body]);
};

describe('resourceNamesSpan', () => {
  it('finds the contiguous resource_names run in an encoded request', () => {
    const bytes = encode(request(['a', 'bb']));
    const span = resourceNamesSpan(bytes);
    expect(span).toBeDefined();
    expect(bytes.subarray(span!.start, span!.end)).toEqual(Buffer.concat([field(3, 'a'), field(3, 'bb')]));
  });

  it('is undefined without names, with interleaved names, or for malformed bytes', () => {
    expect(resourceNamesSpan(encode(request([])))).toBeUndefined();
    // type_url between two names: not one run.
    expect(resourceNamesSpan(Buffer.concat([field(3, 'a'), field(4, 't'), field(3, 'b')]))).toBeUndefined();
    // A length running past the end, a truncated varint, an unknown wire type (6).
    expect(resourceNamesSpan(Buffer.from([(3 << 3) | 2, 10, 0x61]))).toBeUndefined();
    expect(resourceNamesSpan(Buffer.from([(3 << 3) | 2, 0x80]))).toBeUndefined();
    expect(resourceNamesSpan(Buffer.from([(3 << 3) | 6, 1]))).toBeUndefined();
  });

  it('steps over varint, fixed64 and fixed32 fields', () => {
    const bytes = Buffer.concat([Buffer.from([(9 << 3) | 0, 0x96, 0x01]), Buffer.from([(10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.from([(11 << 3) | 5, 1, 2, 3, 4]), field(3, 'x')]);
    expect(resourceNamesSpan(bytes)).toEqual({ start: bytes.length - 3, end: bytes.length });
  });
});

describe('internedRequestDecoder', () => {
  it('decodes what the generic decoder decodes, names included', () => {
    const interner = new NamesInterner();
    const decode = internedRequestDecoder(generic, interner);
    for (const names of [[], ['one'], clusters(40), clusters(40, 'outbound|9080||reviews-ü')]) {
      const bytes = encode(request(names));
      expect(decode(bytes)).toEqual(generic(bytes));
    }
    // Short lists are not interned; the two long ones are.
    expect(interner.count).toBe(2);
  });

  it('names still come out right when the list is first, last or in the middle of the message', () => {
    const decode = internedRequestDecoder(generic, new NamesInterner(), 0);
    const names = Buffer.concat([field(3, 'a'), field(3, 'b')]);
    const type = field(4, TypeUrl.Cluster);
    const nonce = field(5, 'n1');
    for (const bytes of [Buffer.concat([names, type, nonce]), Buffer.concat([type, names, nonce]), Buffer.concat([type, nonce, names])]) {
      const got = decode(bytes);
      expect(got).toEqual(generic(bytes));
      expect(got.resource_names).toEqual(['a', 'b']);
      expect(got.type_url).toBe(TypeUrl.Cluster);
      expect(got.response_nonce).toBe('n1');
    }
  });

  it('gives every request with the same list the same frozen array, and another list its own', () => {
    const decode = internedRequestDecoder(generic, new NamesInterner());
    const names = clusters(100);
    const a = decode(encode(request(names, '1')));
    const b = decode(encode(request(names, '2')));
    const other = decode(encode(request([...names.slice(0, 99), 'outbound|80||svc-X.ns.svc.cluster.local'], '3')));
    expect(b.resource_names).toBe(a.resource_names);
    expect(b.response_nonce).toBe('2');
    expect(Object.isFrozen(a.resource_names)).toBe(true);
    expect(() => (a.resource_names as string[]).push('x')).toThrow();
    expect(other.resource_names).not.toBe(a.resource_names);
    expect(other.resource_names.at(-1)).toBe('outbound|80||svc-X.ns.svc.cluster.local');
    expect(a.resource_names).toEqual(names);
  });

  it('does not take a list for another that differs only where the sample does not look', () => {
    const decode = internedRequestDecoder(generic, new NamesInterner());
    const base = clusters(60);
    const a = decode(encode(request(base)));
    // Same length, one character changed in one name.
    const changed = [...base];
    changed[31] = changed[31]!.replace('svc-31', 'svc-3X');
    const b = decode(encode(request(changed)));
    expect(b.resource_names).not.toBe(a.resource_names);
    expect(b.resource_names).toEqual(changed);
  });

  it('forgets the least recently seen list beyond its bound', () => {
    const interner = new NamesInterner(3);
    const decode = internedRequestDecoder(generic, interner);
    const lists = [0, 1, 2, 3].map((i) => clusters(30, `outbound|80||list${i}`));
    const first = decode(encode(request(lists[0]!))).resource_names;
    decode(encode(request(lists[1]!)));
    decode(encode(request(lists[2]!)));
    // Seen again: list 0 is now the most recent, so list 1 goes when list 3 comes.
    expect(decode(encode(request(lists[0]!))).resource_names).toBe(first);
    decode(encode(request(lists[3]!)));
    expect(interner.count).toBe(3);
    expect(decode(encode(request(lists[0]!))).resource_names).toBe(first);
    const again = decode(encode(request(lists[1]!))).resource_names;
    expect(again).toEqual(lists[1]);
    expect(interner.count).toBe(3);
  });

  it('decodes malformed bytes as the generic decoder does (it does not bound-check strings)', () => {
    const decode = internedRequestDecoder(generic, new NamesInterner(), 0);
    const malformed = [
      Buffer.concat([field(3, 'a'), Buffer.from([(4 << 3) | 2, 50, 0x61])]),
      Buffer.from([(3 << 3) | 2, 10, 0x61]),
      Buffer.concat([field(3, 'a'), Buffer.from([(3 << 3) | 2, 0x80])]),
    ];
    const outcome = (f: () => unknown) => {
      try {
        return { value: f() };
      } catch (e) {
        return { error: (e as Error).message };
      }
    };
    for (const bytes of malformed) expect(outcome(() => decode(bytes))).toEqual(outcome(() => generic(bytes)));
    expect(outcome(() => decode(malformed[2]!))).toEqual({ error: expect.stringContaining('index out of range') });
  });

  it('tells apart lists that share a sample key by their bytes', () => {
    const interner = new NamesInterner();
    // Same length, one byte apart where none of the 32 sampled words looks: the same key.
    const base = clusters(200);
    const a = Buffer.concat(base.map((n) => field(3, n)));
    const b = Buffer.from(a);
    // The samples are 4 bytes wide and (length - 4) / 31 apart (about 290 bytes here).
    const at = Math.floor((a.length - 4) / 31) + 50;
    b[at] = b[at] === 0x61 ? 0x62 : 0x61;
    const one = interner.intern(a);
    const two = interner.intern(b);
    expect(two).not.toBe(one);
    expect(interner.intern(a)).toBe(one);
    expect(interner.intern(b)).toBe(two);
    expect(interner.count).toBe(2);
  });
});

describe('sotwSubscription with interned lists', () => {
  it('is one shared subscription for every stream sending the same list', () => {
    const decode = internedRequestDecoder(generic, new NamesInterner());
    const names = clusters(50);
    const one = sotwSubscription(TypeUrl.ClusterLoadAssignment, undefined, decode(encode(request(names))).resource_names);
    const two = sotwSubscription(TypeUrl.ClusterLoadAssignment, undefined, decode(encode(request(names))).resource_names);
    expect(two).toBe(one);
    expect(one.wildcard).toBe(false);
    expect([...one.names]).toEqual(names);
    // An ACK repeating the list keeps it; a new list makes a new one, and the old stays for the others.
    expect(sotwSubscription(TypeUrl.ClusterLoadAssignment, one, decode(encode(request(names))).resource_names)).toBe(one);
    const fewer = sotwSubscription(TypeUrl.ClusterLoadAssignment, one, decode(encode(request(names.slice(1)))).resource_names);
    expect(fewer).not.toBe(one);
    expect(fewer.names.size).toBe(49);
    expect(one.names.size).toBe(50);
  });

  it('honours * in an interned list, and an empty list after it as before', () => {
    const decode = internedRequestDecoder(generic, new NamesInterner());
    const wild = sotwSubscription(TypeUrl.Cluster, undefined, decode(encode(request(['*', ...clusters(20)]))).resource_names);
    expect(wild.wildcard).toBe(true);
    expect(wild.names.has('*')).toBe(false);
    expect(wild.names.size).toBe(20);
    expect(sotwSubscription(TypeUrl.Cluster, wild, decode(encode(request([]))).resource_names).wildcard).toBe(true);
  });
});
