import { describe, expect, it } from 'vitest';
import { loadProtoRegistry } from '../proto/registry.js';
import { AttributeValue } from './attribute-value.js';
import { decodeCompressedAttributes, encodeCompressedAttributes, type CompressedAttributesInput } from './compressed-attributes.js';
import { GLOBAL_WORD_COUNT } from './global-dictionary.js';
import { MIXER_SERVICE, MixerMessage } from './names.js';
import { decodeReferencedAttributes, encodeReferencedAttributes, type ReferencedAttributesInput } from './referenced-attributes.js';

const registry = loadProtoRegistry();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const bag = new Map([
  ['destination.service.host', AttributeValue.string('reviews.default.svc.cluster.local')], // 193 → -1
  ['context.reporter.kind', AttributeValue.string('inbound')], // 201 → 219
]);

// Hand-written CheckRequest: attributes (1), global_word_count (2), deduplication_id (3), quotas (4).
const CHECK_REQUEST_HEX = [
  '0a 32', // 1 attributes: CompressedAttributes, 50 bytes
  '  0a 21 726576696577732e64656661756c742e7376632e636c75737465722e6c6f63616c', // words[0], 33 bytes
  '  12 05 08 8203 10 01', // strings {193 → -1}: zigzag 193 = 386 = varint 82 03
  '  12 06 08 9203 10 b603', // strings {201 → 219}: zigzag 201 = 402 = 92 03, 219 = 438 = b6 03
  '10 dd01', // 2 global_word_count = 221 (uint32 varint, not zigzag)
  '1a 02 6431', // 3 deduplication_id = "d1"
  '22 0a 0a 02 7271 12 04 08 01 10 01', // 4 quotas {"rq" → QuotaParams{amount 1, best_effort true}}
].join('');

const checkRequest = {
  attributes: encodeCompressedAttributes(bag),
  global_word_count: GLOBAL_WORD_COUNT,
  deduplication_id: 'd1',
  quotas: { rq: { amount: 1, best_effort: true } },
};

interface DecodedCheckRequest {
  attributes: CompressedAttributesInput;
  global_word_count: number;
  deduplication_id: string;
  quotas: Record<string, { amount: string; best_effort: boolean }>;
}

describe('CheckRequest on the wire', () => {
  it('encodes to exactly the hand-written bytes', () => {
    expect(hex(registry.encode(MixerMessage.CheckRequest, checkRequest))).toBe(CHECK_REQUEST_HEX.replace(/\s+/g, ''));
  });

  it('decodes the hand-written bytes back into the bag', () => {
    const decoded = registry.decode<DecodedCheckRequest>(MixerMessage.CheckRequest, fromHex(CHECK_REQUEST_HEX));
    expect(decoded).toMatchObject({ global_word_count: 221, deduplication_id: 'd1', quotas: { rq: { amount: '1', best_effort: true } } });
    expect(decodeCompressedAttributes(decoded.attributes, decoded.global_word_count)).toEqual({
      ok: true,
      bag: new Map([
        ['destination.service.host', { kind: 'string', value: 'reviews.default.svc.cluster.local' }],
        ['context.reporter.kind', { kind: 'string', value: 'inbound' }],
      ]),
    });
  });

  it('has the Mixer service with unary Check and Report', () => {
    const service = registry.service(MIXER_SERVICE);
    expect(service.methods['Check']).toMatchObject({ requestType: 'CheckRequest', responseType: 'CheckResponse' });
    expect(service.methods['Report']).toMatchObject({ requestType: 'ReportRequest', responseType: 'ReportResponse' });
    expect(service.methods['Check']?.requestStream).toBeFalsy();
  });
});

describe('CheckResponse with referenced attributes', () => {
  const references = [
    { name: 'request.headers', condition: 'EXACT' as const, mapKey: ':method' },
    { name: 'weft.missing', condition: 'ABSENCE' as const },
    { name: 'source.ip', condition: 'EXACT' as const },
  ];

  it('encodes references with the dictionary scheme, map_key 0 meaning none', () => {
    const encoded = encodeReferencedAttributes(references);
    expect(encoded).toEqual({
      words: ['weft.missing'],
      attribute_matches: [
        { name: 15, condition: 'EXACT', regex: '', map_key: 32 },
        { name: -1, condition: 'ABSENCE', regex: '', map_key: 0 },
        { name: 0, condition: 'EXACT', regex: '', map_key: 0 },
      ],
    });
    // ReferencedAttributes: words (1), attribute_matches (2) of {name sint32 (1), condition (2), map_key sint32 (4)}.
    // Zero-valued fields are left out by protobufjs only when unset, so compare the first match alone.
    const one = { words: [], attribute_matches: [{ name: 15, condition: 'EXACT', map_key: 32 }] };
    expect(hex(registry.encode(MixerMessage.ReferencedAttributes, one))).toBe('12 06 08 1e 10 02 20 40'.replace(/\s+/g, ''));
  });

  it('round-trips a CheckResponse and resolves map keys as the proxy does', () => {
    const response = {
      precondition: {
        status: { code: 0 },
        valid_duration: { seconds: '60' },
        valid_use_count: 200,
        referenced_attributes: encodeReferencedAttributes(references),
        route_directive: { request_header_operations: [{ name: 'x-weft', value: '1', operation: 'APPEND' }] },
      },
      quotas: { rq: { valid_duration: { seconds: '1' }, granted_amount: '1', status: { code: 8 } } },
    };
    const wire = registry.encode(MixerMessage.CheckResponse, response);
    const decoded = registry.decode<{
      precondition: { valid_use_count: number; referenced_attributes: ReferencedAttributesInput; route_directive: unknown };
      quotas: Record<string, { granted_amount: string; status: { code: number } }>;
    }>(MixerMessage.CheckResponse, wire);
    expect(decoded.precondition.valid_use_count).toBe(200);
    expect(decoded.precondition.route_directive).toMatchObject({
      request_header_operations: [{ name: 'x-weft', value: '1', operation: 'APPEND' }],
    });
    expect(decoded.quotas['rq']).toMatchObject({ granted_amount: '1', status: { code: 8 } });

    const requestBag = new Map([['request.headers', AttributeValue.stringMap({ ':method': 'GET' })]]);
    expect(decodeReferencedAttributes(decoded.precondition.referenced_attributes, GLOBAL_WORD_COUNT, { requestBag })).toEqual({
      ok: true,
      references: [
        { name: 'request.headers', condition: 'EXACT', mapKey: ':method' },
        { name: 'weft.missing', condition: 'ABSENCE' },
        { name: 'source.ip', condition: 'EXACT' },
      ],
    });
  });

  it('reports bad indices and unknown conditions as values', () => {
    const result = decodeReferencedAttributes({
      words: [],
      attribute_matches: [
        { name: -1, condition: 'EXACT' },
        { name: 15, condition: 9, map_key: 0 },
        { name: 15, condition: 2, map_key: 999 },
      ],
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        { path: 'attribute_matches[0].name', message: 'message word index -1 is past the message dictionary (0 words)' },
        { path: 'attribute_matches[1].condition', message: 'unknown condition 9' },
        { path: 'attribute_matches[2].map_key', message: 'global word index 999 is not below the global word count 221' },
      ],
    });
  });
});
