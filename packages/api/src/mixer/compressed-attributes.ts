// Attribute bag <-> istio.mixer.v1.CompressedAttributes, in the object form the proto registry encodes.
import {
  toWireDuration,
  toWireTimestamp,
  type AttributeBag,
  type AttributeValue,
  type DecodedAttributeValue,
  type DecodedTime,
  type WireTime,
} from './attribute-value.js';
import { GLOBAL_WORD_COUNT, GLOBAL_WORDS } from './global-dictionary.js';
import { WordDecoder, WordEncoder } from './word-dictionary.js';

/**
 * The object form of CompressedAttributes that `encode` produces, with proto field names as the
 * proto registry uses them. Map keys are dictionary indices.
 */
export interface CompressedAttributes {
  words: string[];
  strings: Record<string, number>;
  int64s: Record<string, string>;
  doubles: Record<string, number>;
  bools: Record<string, boolean>;
  timestamps: Record<string, WireTime>;
  durations: Record<string, WireTime>;
  bytes: Record<string, Uint8Array>;
  string_maps: Record<string, { entries: Record<string, number> }>;
}

/** int64 as protobufjs may hand it over: decimal string, number, bigint or a Long. */
export type Int64Like = string | number | bigint | { low: number; high: number; unsigned?: boolean };

type TimeInput = { seconds?: Int64Like | null; nanos?: number | null } | null | undefined;
type Rec<T> = Readonly<Record<string, T>> | null | undefined;

/** What `decode` accepts: a decoded CompressedAttributes with any protobufjs conversion options. */
export interface CompressedAttributesInput {
  words?: readonly string[] | null;
  strings?: Rec<number>;
  int64s?: Rec<Int64Like>;
  doubles?: Rec<number>;
  bools?: Rec<boolean>;
  timestamps?: Rec<TimeInput>;
  durations?: Rec<TimeInput>;
  bytes?: Rec<Uint8Array>;
  string_maps?: Rec<{ entries?: Rec<number> } | null>;
}

/** A failure to decode one entry, with the path of the offending field. */
export interface AttributeDecodeError {
  path: string;
  message: string;
}

export type AttributeDecodeResult =
  | { ok: true; bag: Map<string, DecodedAttributeValue> }
  | { ok: false; errors: AttributeDecodeError[] };

/** Options shared by encoder and decoder; tests substitute a small global list. */
export interface DictionaryOptions {
  globalWords?: readonly string[];
}

export function emptyCompressedAttributes(): CompressedAttributes {
  return { words: [], strings: {}, int64s: {}, doubles: {}, bools: {}, timestamps: {}, durations: {}, bytes: {}, string_maps: {} };
}

/**
 * Compresses a bag. Every name, string value and string-map key/value becomes a dictionary index:
 * its global index when below `globalWordCount`, otherwise a message word (-1, -2, ... in first-use
 * order). The caller sends the same `globalWordCount` in the request's `global_word_count`.
 */
export function encodeCompressedAttributes(
  bag: AttributeBag,
  globalWordCount: number = GLOBAL_WORD_COUNT,
  options: DictionaryOptions = {},
): CompressedAttributes {
  const words = new WordEncoder(globalWordCount, options.globalWords ?? GLOBAL_WORDS);
  const out = encodeInto(bag, words);
  out.words = words.words;
  return out;
}

/** Compresses a bag against a dictionary shared with other bags (ReportRequest.default_words). */
export function encodeInto(bag: AttributeBag, words: WordEncoder): CompressedAttributes {
  const out = emptyCompressedAttributes();
  for (const [name, value] of bag) {
    const key = String(words.indexOf(name));
    encodeValue(out, key, value, words);
  }
  return out;
}

function encodeValue(out: CompressedAttributes, key: string, attr: AttributeValue, words: WordEncoder): void {
  switch (attr.kind) {
    case 'string':
      out.strings[key] = words.indexOf(attr.value);
      return;
    case 'int64':
      out.int64s[key] = BigInt.asIntN(64, BigInt(attr.value)).toString();
      return;
    case 'double':
      out.doubles[key] = attr.value;
      return;
    case 'bool':
      out.bools[key] = attr.value;
      return;
    case 'bytes':
      out.bytes[key] = attr.value;
      return;
    case 'timestamp':
      out.timestamps[key] = toWireTimestamp(attr.value);
      return;
    case 'duration':
      out.durations[key] = toWireDuration(attr.value);
      return;
    case 'stringMap': {
      const entries: Record<string, number> = {};
      for (const [k, v] of Object.entries(attr.value)) entries[String(words.indexOf(k))] = words.indexOf(v);
      out.string_maps[key] = { entries };
      return;
    }
  }
}

/** Reads a protobufjs int64 in any of its conversion forms. */
export function int64ToBigInt(value: Int64Like | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' || typeof value === 'number') return BigInt(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned ? bits : BigInt.asIntN(64, bits);
}

function decodeTime(value: TimeInput): DecodedTime {
  return { seconds: int64ToBigInt(value?.seconds), nanos: value?.nanos ?? 0 };
}

/**
 * Decompresses attributes sent by a peer that declared `globalWordCount` global words. Every bad
 * index and every duplicated name is reported with its path; nothing throws. `defaultWords` is
 * ReportRequest.default_words, used when the message carries no words of its own.
 */
export function decodeCompressedAttributes(
  compressed: CompressedAttributesInput,
  globalWordCount: number = GLOBAL_WORD_COUNT,
  options: DictionaryOptions & { defaultWords?: readonly string[] } = {},
): AttributeDecodeResult {
  const globalWords = options.globalWords ?? GLOBAL_WORDS;
  const errors: AttributeDecodeError[] = [];
  if (globalWordCount > globalWords.length) {
    errors.push({
      path: 'globalWordCount',
      message: `peer knows ${globalWordCount} global words, this side only ${globalWords.length}: dictionaries out of sync`,
    });
    return { ok: false, errors };
  }
  const ownWords = compressed.words ?? [];
  const words = new WordDecoder(ownWords.length > 0 ? ownWords : (options.defaultWords ?? []), globalWordCount, globalWords);
  const bag = new Map<string, DecodedAttributeValue>();

  const word = (index: number, path: string): string | undefined => {
    const found = words.lookup(index);
    if (typeof found === 'string') return found;
    errors.push({ path, message: found.message });
    return undefined;
  };
  const each = <T>(field: string, rec: Rec<T>, toValue: (v: T, path: string) => DecodedAttributeValue | undefined): void => {
    for (const [k, v] of Object.entries(rec ?? {})) {
      const path = `${field}[${k}]`;
      const name = word(Number(k), path);
      const value = toValue(v, path);
      if (name === undefined || value === undefined) continue;
      if (bag.has(name)) errors.push({ path, message: `duplicate attribute ${name}` });
      else bag.set(name, value);
    }
  };

  each('strings', compressed.strings, (v, path) => {
    const s = word(v, `${path}.value`);
    return s === undefined ? undefined : { kind: 'string', value: s };
  });
  each('int64s', compressed.int64s, (v) => ({ kind: 'int64', value: int64ToBigInt(v) }));
  each('doubles', compressed.doubles, (v) => ({ kind: 'double', value: v }));
  each('bools', compressed.bools, (v) => ({ kind: 'bool', value: v }));
  each('timestamps', compressed.timestamps, (v) => ({ kind: 'timestamp', value: decodeTime(v) }));
  each('durations', compressed.durations, (v) => ({ kind: 'duration', value: decodeTime(v) }));
  // A plain Uint8Array view (protobufjs hands out Node Buffers), sharing the decoded memory.
  each('bytes', compressed.bytes, (v) => ({ kind: 'bytes', value: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) }));
  each('string_maps', compressed.string_maps, (v, path) => {
    const entries: [string, string][] = [];
    let bad = false;
    for (const [k, i] of Object.entries(v?.entries ?? {})) {
      const key = word(Number(k), `${path}.entries[${k}]`);
      const value = word(i, `${path}.entries[${k}].value`);
      if (key === undefined || value === undefined) bad = true;
      else entries.push([key, value]);
    }
    return bad ? undefined : { kind: 'stringMap', value: Object.fromEntries(entries) };
  });

  return errors.length > 0 ? { ok: false, errors } : { ok: true, bag };
}
