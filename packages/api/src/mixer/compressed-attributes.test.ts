import { describe, expect, it } from 'vitest';
import { loadProtoRegistry } from '../proto/registry.js';
import { AttributeValue, type AttributeBag, type DecodedAttributeValue } from './attribute-value.js';
import {
  decodeCompressedAttributes,
  encodeCompressedAttributes,
  type CompressedAttributesInput,
} from './compressed-attributes.js';
import { GLOBAL_WORD_COUNT } from './global-dictionary.js';
import { MixerMessage } from './names.js';

const registry = loadProtoRegistry();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Every type of attribute, with names and values both inside and outside the global dictionary.
const bag: AttributeBag = new Map([
  ['request.path', AttributeValue.string('/ratings')], // global 17, value is message word -1
  ['response.code', AttributeValue.int64(200n)], // global 30
  ['request.headers', AttributeValue.stringMap({ ':method': 'GET', 'x-weft': 'on' })], // 15; 32→90, -2→-3
  ['weft.sampled', AttributeValue.bool(true)], // message word -4
  ['weft.ratio', AttributeValue.double(0.5)], // message word -5
  ['response.duration', AttributeValue.duration(1.5)], // 29; 1.5 ms
  ['source.ip', AttributeValue.bytes(Uint8Array.of(10, 0, 0, 1))], // 0
  ['context.time', AttributeValue.timestamp(new Date(1_500_000_000_123))], // 133
]);

// The same bag as the decoder returns it: int64 as bigint, times as exact {seconds, nanos}.
const decodedBag = new Map<string, DecodedAttributeValue>([
  ['request.path', { kind: 'string', value: '/ratings' }],
  ['response.code', { kind: 'int64', value: 200n }],
  ['request.headers', { kind: 'stringMap', value: { ':method': 'GET', 'x-weft': 'on' } }],
  ['weft.sampled', { kind: 'bool', value: true }],
  ['weft.ratio', { kind: 'double', value: 0.5 }],
  ['response.duration', { kind: 'duration', value: { seconds: 0n, nanos: 1_500_000 } }],
  ['source.ip', { kind: 'bytes', value: Uint8Array.of(10, 0, 0, 1) }],
  ['context.time', { kind: 'timestamp', value: { seconds: 1_500_000_000n, nanos: 123_000_000 } }],
]);

// Written by hand from the protobuf encoding rules. Map keys and string indices are sint32
// (zigzag: n >= 0 → 2n, n < 0 → -2n-1); each map entry is a message {1: key, 2: value}.
const COMPRESSED_HEX = [
  // 1 words (tag 0x0a): the message dictionary, in first-use order
  '0a 08 2f726174696e6773', // "/ratings"
  '0a 06 782d77656674', // "x-weft"
  '0a 02 6f6e', // "on"
  '0a 0c 77656674 2e 73616d706c6564', // "weft.sampled"
  '0a 0a 77656674 2e 726174696f', // "weft.ratio"
  // 2 strings (0x12): {17 → -1}  zigzag 17 = 0x22, -1 = 0x01
  '12 04 08 22 10 01',
  // 3 int64s (0x1a): {30 → 200}  zigzag 30 = 0x3c, int64 200 = varint c8 01
  '1a 05 08 3c 10 c801',
  // 4 doubles (0x22): {-5 → 0.5}  zigzag -5 = 0x09, value is fixed64 (tag 0x11) little-endian
  '22 0b 08 09 11 000000000000e03f',
  // 5 bools (0x2a): {-4 → true}  zigzag -4 = 0x07
  '2a 04 08 07 10 01',
  // 6 timestamps (0x32): {133 → {seconds 1500000000, nanos 123000000}}  zigzag 133 = 266 = varint 8a 02
  '32 10 08 8a02 12 0b 08 80dea0cb05 10 c0a9d33a',
  // 7 durations (0x3a): {29 → {nanos 1500000}}  zigzag 29 = 0x3a; zero seconds are not written
  '3a 08 08 3a 12 04 10 e0c65b',
  // 8 bytes (0x42): {0 → 0a000001}
  '42 08 08 00 12 04 0a000001',
  // 9 string_maps (0x4a): {15 → StringMap{entries: {32 → 90, -2 → -3}}}
  //   zigzag 15 = 0x1e, 32 = 0x40, 90 = 180 = varint b4 01, -2 = 0x03, -3 = 0x05
  '4a 11 08 1e 12 0d 0a 05 08 40 10 b401 0a 04 08 03 10 05',
].join('');

describe('encodeCompressedAttributes', () => {
  it('produces exactly the hand-written protobuf bytes', () => {
    const compressed = encodeCompressedAttributes(bag);
    expect(compressed.words).toEqual(['/ratings', 'x-weft', 'on', 'weft.sampled', 'weft.ratio']);
    expect(compressed.strings).toEqual({ '17': -1 });
    expect(compressed.string_maps).toEqual({ '15': { entries: { '32': 90, '-2': -3 } } });
    expect(hex(registry.encode(MixerMessage.CompressedAttributes, compressed))).toBe(COMPRESSED_HEX.replace(/\s+/g, ''));
  });

  it('uses a message word for a global word at or beyond globalWordCount', () => {
    const small = new Map([['context.reporter.kind', AttributeValue.string('inbound')]]); // 201 → 219
    expect(encodeCompressedAttributes(small, 219)).toMatchObject({ words: ['inbound'], strings: { '201': -1 } });
    expect(encodeCompressedAttributes(small, 201)).toMatchObject({
      words: ['context.reporter.kind', 'inbound'],
      strings: { '-1': -2 },
    });
    expect(encodeCompressedAttributes(small)).toMatchObject({ words: [], strings: { '201': 219 } });
  });

  it('adds each message word once', () => {
    const repeated = new Map([
      ['weft.a', AttributeValue.string('weft.a')],
      ['weft.b', AttributeValue.stringMap({ 'weft.a': 'weft.b' })],
    ]);
    expect(encodeCompressedAttributes(repeated)).toMatchObject({
      words: ['weft.a', 'weft.b'],
      strings: { '-1': -1 },
      string_maps: { '-2': { entries: { '-1': -2 } } },
    });
  });

  it.each([
    [-1.5, { nanos: -1_500_000 }],
    [2500, { seconds: '2', nanos: 500_000_000 }],
    [{ seconds: '-3', nanos: -5 }, { seconds: '-3', nanos: -5 }],
  ])('encodes duration %j with seconds and nanos of one sign', (value, wire) => {
    const out = encodeCompressedAttributes(new Map([['response.duration', AttributeValue.duration(value)]]));
    expect(out.durations['29']).toEqual(wire);
  });

  it('encodes a Date before 1970 with negative seconds and positive nanos', () => {
    const out = encodeCompressedAttributes(new Map([['context.time', AttributeValue.timestamp(new Date(-1))]]));
    expect(out.timestamps['133']).toEqual({ seconds: '-1', nanos: 999_000_000 });
  });
});

describe('decodeCompressedAttributes', () => {
  it('decodes the hand-written bytes back into the bag', () => {
    const decoded = registry.decode<CompressedAttributesInput>(MixerMessage.CompressedAttributes, fromHex(COMPRESSED_HEX));
    const result = decodeCompressedAttributes(decoded, GLOBAL_WORD_COUNT);
    expect(result).toEqual({ ok: true, bag: decodedBag });
  });

  it('round-trips through encode → bytes → decode', () => {
    const wire = registry.encode(MixerMessage.CompressedAttributes, encodeCompressedAttributes(bag, 150));
    const result = decodeCompressedAttributes(registry.decode(MixerMessage.CompressedAttributes, wire), 150);
    expect(result).toEqual({ ok: true, bag: decodedBag });
  });

  it('reports every out-of-range index with its path instead of throwing', () => {
    const result = decodeCompressedAttributes(
      {
        words: ['weft.only'],
        strings: { '-1': 500, '17': -2 },
        string_maps: { '15': { entries: { '32': -9 } } },
        bools: { '300': true },
      },
      GLOBAL_WORD_COUNT,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      { path: 'strings[17].value', message: 'message word index -2 is past the message dictionary (1 words)' },
      { path: 'strings[-1].value', message: 'global word index 500 is not below the global word count 221' },
      { path: 'bools[300]', message: 'global word index 300 is not below the global word count 221' },
      { path: 'string_maps[15].entries[32].value', message: 'message word index -9 is past the message dictionary (1 words)' },
    ]);
  });

  it('rejects global indices the sender did not declare', () => {
    // context.reporter.kind is global 201: valid for a 221-word peer, not for one that knows 200.
    const compressed = { strings: { '201': -1 }, words: ['inbound'] };
    expect(decodeCompressedAttributes(compressed, 221).ok).toBe(true);
    expect(decodeCompressedAttributes(compressed, 200)).toEqual({
      ok: false,
      errors: [{ path: 'strings[201]', message: 'global word index 201 is not below the global word count 200' }],
    });
  });

  it('rejects a peer that knows more global words than this side', () => {
    expect(decodeCompressedAttributes({}, 222)).toMatchObject({ ok: false, errors: [{ path: 'globalWordCount' }] });
  });

  it('reports an attribute carried in two type maps', () => {
    const result = decodeCompressedAttributes({ strings: { '30': 136 }, int64s: { '30': '200' } });
    expect(result).toEqual({ ok: false, errors: [{ path: 'int64s[30]', message: 'duplicate attribute response.code' }] });
  });

  it('reads int64s in every protobufjs long form', () => {
    const result = decodeCompressedAttributes({
      int64s: { '30': 200, '27': { low: -1, high: -1 }, '23': 9_007_199_254_740_993n },
    });
    expect(result.ok && Object.fromEntries(result.bag)).toEqual({
      'response.code': { kind: 'int64', value: 200n },
      'response.size': { kind: 'int64', value: -1n },
      'request.size': { kind: 'int64', value: 9_007_199_254_740_993n },
    });
  });

  it('uses default words when the message has none (ReportRequest.default_words)', () => {
    const result = decodeCompressedAttributes({ strings: { '-1': -2 } }, GLOBAL_WORD_COUNT, { defaultWords: ['weft.a', 'x'] });
    expect(result).toEqual({ ok: true, bag: new Map([['weft.a', { kind: 'string', value: 'x' }]]) });
  });

  it('works with a custom global word list', () => {
    const globalWords = ['G0', 'G1', 'G2'];
    const compressed = encodeCompressedAttributes(new Map([['G1', AttributeValue.string('M1')]]), 3, { globalWords });
    expect(compressed).toMatchObject({ words: ['M1'], strings: { '1': -1 } });
    expect(decodeCompressedAttributes(compressed, 3, { globalWords })).toEqual({
      ok: true,
      bag: new Map([['G1', { kind: 'string', value: 'M1' }]]),
    });
  });
});
