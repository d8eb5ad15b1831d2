// istio.mixer.v1.ReportRequest: many attribute bags sharing one message dictionary.
import type { AttributeBag, DecodedAttributeValue } from './attribute-value.js';
import {
  decodeCompressedAttributes,
  encodeInto,
  type AttributeDecodeError,
  type CompressedAttributes,
  type CompressedAttributesInput,
  type DictionaryOptions,
} from './compressed-attributes.js';
import { GLOBAL_WORD_COUNT, GLOBAL_WORDS } from './global-dictionary.js';
import { WordEncoder } from './word-dictionary.js';

export type RepeatedAttributesSemantics = 'DELTA_ENCODING' | 'INDEPENDENT_ENCODING';

/** The object form of ReportRequest (proto field names, as the proto registry uses them). */
export interface ReportRequestObject {
  attributes: CompressedAttributes[];
  repeated_attributes_semantics: RepeatedAttributesSemantics;
  default_words: string[];
  global_word_count: number;
}

export interface ReportRequestInput {
  attributes?: readonly CompressedAttributesInput[] | null;
  repeated_attributes_semantics?: RepeatedAttributesSemantics | number | null;
  default_words?: readonly string[] | null;
  global_word_count?: number | null;
}

export type ReportDecodeResult =
  | { ok: true; bags: Map<string, DecodedAttributeValue>[] }
  | { ok: false; errors: AttributeDecodeError[] };

/**
 * Builds a report the way 1.1+ proxies do: every bag is complete (INDEPENDENT_ENCODING), all bags
 * share `default_words`, and each bag's own `words` stays empty.
 */
export function encodeReportRequest(
  bags: readonly AttributeBag[],
  globalWordCount: number = GLOBAL_WORD_COUNT,
  options: DictionaryOptions = {},
): ReportRequestObject {
  const words = new WordEncoder(globalWordCount, options.globalWords ?? GLOBAL_WORDS);
  const attributes = bags.map((bag) => encodeInto(bag, words));
  return { attributes, repeated_attributes_semantics: 'INDEPENDENT_ENCODING', default_words: words.words, global_word_count: globalWordCount };
}

/**
 * Decodes every bag of a report as Mixer does: a bag without words of its own uses default_words;
 * under DELTA_ENCODING (pre-1.1 proxies, and the proto3 default) each bag updates the previous one.
 */
export function decodeReportRequest(request: ReportRequestInput, options: DictionaryOptions = {}): ReportDecodeResult {
  const globalWordCount = request.global_word_count ?? 0;
  const semantics = request.repeated_attributes_semantics ?? 0;
  const delta = semantics === 0 || semantics === 'DELTA_ENCODING';
  const defaultWords = request.default_words ?? [];
  const errors: AttributeDecodeError[] = [];
  const bags: Map<string, DecodedAttributeValue>[] = [];
  let previous = new Map<string, DecodedAttributeValue>();
  (request.attributes ?? []).forEach((compressed, i) => {
    const result = decodeCompressedAttributes(compressed, globalWordCount, { ...options, defaultWords });
    if (!result.ok) {
      errors.push(...result.errors.map((e) => ({ path: `attributes[${i}].${e.path}`, message: e.message })));
      return;
    }
    const bag = delta ? new Map([...previous, ...result.bag]) : result.bag;
    bags.push(bag);
    previous = bag;
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, bags };
}
