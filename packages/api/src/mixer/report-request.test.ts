import { describe, expect, it } from 'vitest';
import { loadProtoRegistry } from '../proto/registry.js';
import { AttributeValue } from './attribute-value.js';
import { MixerMessage } from './names.js';
import { decodeReportRequest, encodeReportRequest, type ReportRequestInput } from './report-request.js';

const registry = loadProtoRegistry();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const first = new Map([
  ['destination.workload.name', AttributeValue.string('reviews-v1')], // 188 → -1
  ['response.code', AttributeValue.int64(200n)],
]);
const second = new Map([
  ['destination.workload.name', AttributeValue.string('reviews-v2')], // 188 → -2
  ['response.code', AttributeValue.int64(503n)],
]);

describe('ReportRequest', () => {
  it('shares one dictionary across bags in default_words, as 1.1+ proxies do', () => {
    const request = encodeReportRequest([first, second]);
    expect(request).toMatchObject({
      default_words: ['reviews-v1', 'reviews-v2'],
      global_word_count: 221,
      repeated_attributes_semantics: 'INDEPENDENT_ENCODING',
    });
    expect(request.attributes.map((a) => a.words)).toEqual([[], []]);
    expect(request.attributes.map((a) => a.strings)).toEqual([{ '188': -1 }, { '188': -2 }]);
  });

  it('encodes to the hand-written bytes', () => {
    const request = encodeReportRequest([new Map([['response.code', AttributeValue.int64(404n)]])]);
    // attributes (1) {int64s (3) {30 → 404}}, global_word_count (3) = 221, repeated_attributes_semantics (4) = 1
    // 404 = varint 94 03; zigzag 30 = 0x3c
    expect(hex(registry.encode(MixerMessage.ReportRequest, request))).toBe('0a07' + '1a05083c109403' + '18dd01' + '2001');
  });

  it('round-trips every bag through bytes', () => {
    const wire = registry.encode(MixerMessage.ReportRequest, encodeReportRequest([first, second]));
    const result = decodeReportRequest(registry.decode<ReportRequestInput>(MixerMessage.ReportRequest, wire));
    expect(result).toEqual({
      ok: true,
      bags: [
        new Map([
          ['destination.workload.name', { kind: 'string', value: 'reviews-v1' }],
          ['response.code', { kind: 'int64', value: 200n }],
        ]),
        new Map([
          ['destination.workload.name', { kind: 'string', value: 'reviews-v2' }],
          ['response.code', { kind: 'int64', value: 503n }],
        ]),
      ],
    });
  });

  it('applies DELTA_ENCODING from pre-1.1 proxies: each bag updates the previous one', () => {
    const result = decodeReportRequest({
      global_word_count: 221,
      default_words: ['reviews-v1'],
      attributes: [{ strings: { '188': -1 }, int64s: { '30': '200' } }, { int64s: { '30': '503' } }],
    });
    expect(result.ok && result.bags.map((b) => Object.fromEntries(b))).toEqual([
      { 'destination.workload.name': { kind: 'string', value: 'reviews-v1' }, 'response.code': { kind: 'int64', value: 200n } },
      { 'destination.workload.name': { kind: 'string', value: 'reviews-v1' }, 'response.code': { kind: 'int64', value: 503n } },
    ]);
  });

  it('prefixes decode errors with the bag position', () => {
    const result = decodeReportRequest({ global_word_count: 221, attributes: [{}, { strings: { '-3': 0 } }] });
    expect(result).toEqual({
      ok: false,
      errors: [{ path: 'attributes[1].strings[-3]', message: 'message word index -3 is past the message dictionary (0 words)' }],
    });
  });
});
