// Public API of the Mixer wire helpers: global dictionary, attribute compression, reports, references.
export { GLOBAL_WORDS, GLOBAL_WORD_COUNT, GLOBAL_WORD_INDEX } from './global-dictionary.js';
export {
  AttributeValue,
  toWireTimestamp,
  toWireDuration,
  timestampToDate,
  durationToMillis,
  type AttributeKind,
  type AttributeBag,
  type DecodedAttributeValue,
  type DecodedTime,
  type ProtoTime,
  type WireTime,
} from './attribute-value.js';
export { WordEncoder, WordDecoder, type WordLookupError } from './word-dictionary.js';
export {
  encodeCompressedAttributes,
  decodeCompressedAttributes,
  encodeInto,
  emptyCompressedAttributes,
  int64ToBigInt,
  type CompressedAttributes,
  type CompressedAttributesInput,
  type AttributeDecodeError,
  type AttributeDecodeResult,
  type DictionaryOptions,
  type Int64Like,
} from './compressed-attributes.js';
export {
  encodeReferencedAttributes,
  decodeReferencedAttributes,
  REFERENCE_CONDITIONS,
  type AttributeReference,
  type ReferenceCondition,
  type ReferencedAttributesObject,
  type ReferencedAttributesInput,
  type ReferencedAttributesResult,
} from './referenced-attributes.js';
export {
  encodeReportRequest,
  decodeReportRequest,
  type RepeatedAttributesSemantics,
  type ReportRequestObject,
  type ReportRequestInput,
  type ReportDecodeResult,
} from './report-request.js';
export { MIXER_SERVICE, MixerMessage } from './names.js';
