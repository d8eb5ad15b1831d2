// istio.mixer.v1.ReferencedAttributes: the attributes a Check decision depended on, which the
// proxy uses as its check-cache key. Names and map keys use the CompressedAttributes dictionaries.
import type { AttributeBag } from './attribute-value.js';
import type { AttributeDecodeError, DictionaryOptions } from './compressed-attributes.js';
import { GLOBAL_WORD_COUNT, GLOBAL_WORDS } from './global-dictionary.js';
import { WordDecoder, WordEncoder } from './word-dictionary.js';

export const REFERENCE_CONDITIONS = ['CONDITION_UNSPECIFIED', 'ABSENCE', 'EXACT', 'REGEX'] as const;
export type ReferenceCondition = (typeof REFERENCE_CONDITIONS)[number];

/** One referenced attribute; `mapKey` names the referenced key of a STRING_MAP attribute. */
export interface AttributeReference {
  name: string;
  condition: ReferenceCondition;
  mapKey?: string;
  regex?: string;
}

/** The object form of ReferencedAttributes (proto field names, as the proto registry uses them). */
export interface ReferencedAttributesObject {
  words: string[];
  attribute_matches: { name: number; condition: ReferenceCondition; regex: string; map_key: number }[];
}

export interface ReferencedAttributesInput {
  words?: readonly string[] | null;
  attribute_matches?:
    | readonly { name?: number | null; condition?: ReferenceCondition | number | null; regex?: string | null; map_key?: number | null }[]
    | null;
}

export type ReferencedAttributesResult =
  | { ok: true; references: AttributeReference[] }
  | { ok: false; errors: AttributeDecodeError[] };

/**
 * Encodes references as Mixer does: a reference without a map key carries map_key 0, so 0 means
 * "no key" here even though it is also the global index of source.ip.
 */
export function encodeReferencedAttributes(
  references: readonly AttributeReference[],
  globalWordCount: number = GLOBAL_WORD_COUNT,
  options: DictionaryOptions = {},
): ReferencedAttributesObject {
  const words = new WordEncoder(globalWordCount, options.globalWords ?? GLOBAL_WORDS);
  const attribute_matches = references.map((r) => ({
    name: words.indexOf(r.name),
    condition: r.condition,
    regex: r.regex ?? '',
    map_key: r.mapKey === undefined || r.mapKey === '' ? 0 : words.indexOf(r.mapKey),
  }));
  return { words: words.words, attribute_matches };
}

function conditionName(value: ReferenceCondition | number | null | undefined): ReferenceCondition | undefined {
  if (value === null || value === undefined) return 'CONDITION_UNSPECIFIED';
  return typeof value === 'number' ? REFERENCE_CONDITIONS[value] : REFERENCE_CONDITIONS.find((c) => c === value);
}

/**
 * Decodes references from a Check response. Which matches carry a map key follows the proxy
 * (istio/proxy referenced.cc): when the request bag is given, map_key is resolved exactly for the
 * attributes that are string maps in it; without a bag, a non-zero map_key is taken as a key.
 */
export function decodeReferencedAttributes(
  referenced: ReferencedAttributesInput,
  globalWordCount: number = GLOBAL_WORD_COUNT,
  options: DictionaryOptions & { requestBag?: AttributeBag } = {},
): ReferencedAttributesResult {
  const words = new WordDecoder(referenced.words ?? [], globalWordCount, options.globalWords ?? GLOBAL_WORDS);
  const errors: AttributeDecodeError[] = [];
  const references: AttributeReference[] = [];
  (referenced.attribute_matches ?? []).forEach((match, i) => {
    const path = `attribute_matches[${i}]`;
    const name = words.lookup(match.name ?? 0);
    if (typeof name !== 'string') {
      errors.push({ path: `${path}.name`, message: name.message });
      return;
    }
    const condition = conditionName(match.condition);
    if (condition === undefined) {
      errors.push({ path: `${path}.condition`, message: `unknown condition ${String(match.condition)}` });
      return;
    }
    const ref: AttributeReference = { name, condition };
    if (match.regex) ref.regex = match.regex;
    const mapKeyIndex = match.map_key ?? 0;
    const isMap = options.requestBag ? options.requestBag.get(name)?.kind === 'stringMap' : mapKeyIndex !== 0;
    if (isMap) {
      const key = words.lookup(mapKeyIndex);
      if (typeof key !== 'string') {
        errors.push({ path: `${path}.map_key`, message: key.message });
        return;
      }
      ref.mapKey = key;
    }
    references.push(ref);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, references };
}
