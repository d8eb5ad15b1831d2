// Typed attribute values, one variant per transport type of istio.mixer.v1.CompressedAttributes.

/** google.protobuf.Timestamp / Duration as protobufjs objects carry them (`seconds` is an int64). */
export interface ProtoTime {
  seconds: bigint | string | number;
  nanos: number;
}

/**
 * One attribute value. Mixer's value types map onto these transport types: STRING, DNS_NAME,
 * EMAIL_ADDRESS and URI travel as `string`; IP_ADDRESS as `bytes`; the rest by their own name.
 */
export type AttributeValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'int64'; readonly value: bigint | string }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'bytes'; readonly value: Uint8Array }
  | { readonly kind: 'timestamp'; readonly value: Date | ProtoTime }
  /** A number is milliseconds (fractions allowed, down to nanoseconds). */
  | { readonly kind: 'duration'; readonly value: number | ProtoTime }
  | { readonly kind: 'stringMap'; readonly value: Readonly<Record<string, string>> };

export type AttributeKind = AttributeValue['kind'];

/** An attribute bag: attribute name → value. */
export type AttributeBag = ReadonlyMap<string, AttributeValue>;

/** Constructors, so call sites read `AttributeValue.string('GET')`. */
export const AttributeValue = {
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  int64: (value: bigint | string | number): AttributeValue => ({ kind: 'int64', value: BigInt(value) }),
  double: (value: number): AttributeValue => ({ kind: 'double', value }),
  bool: (value: boolean): AttributeValue => ({ kind: 'bool', value }),
  bytes: (value: Uint8Array): AttributeValue => ({ kind: 'bytes', value }),
  timestamp: (value: Date | ProtoTime): AttributeValue => ({ kind: 'timestamp', value }),
  duration: (value: number | ProtoTime): AttributeValue => ({ kind: 'duration', value }),
  stringMap: (value: Readonly<Record<string, string>>): AttributeValue => ({ kind: 'stringMap', value }),
} as const;

/**
 * A Timestamp or Duration in the object form protobufjs encodes. Zero fields are left out so the
 * bytes are the canonical proto3 encoding a Go or C++ peer produces (protobufjs would otherwise
 * write an explicit `seconds: 0`).
 */
export interface WireTime {
  seconds?: string;
  nanos?: number;
}

const NANOS_PER_SECOND = 1_000_000_000n;

function wireTime(seconds: bigint, nanos: number): WireTime {
  const out: WireTime = {};
  if (seconds !== 0n) out.seconds = seconds.toString();
  if (nanos !== 0) out.nanos = nanos;
  return out;
}

/** Date or {seconds, nanos} → Timestamp. A Date before 1970 gets negative seconds and positive nanos. */
export function toWireTimestamp(value: Date | ProtoTime): WireTime {
  if (value instanceof Date) {
    const ms = value.getTime();
    const seconds = Math.floor(ms / 1000);
    return wireTime(BigInt(seconds), (ms - seconds * 1000) * 1_000_000);
  }
  return wireTime(BigInt(value.seconds), value.nanos);
}

/**
 * Milliseconds or {seconds, nanos} → Duration. Per duration.proto, seconds and nanos carry the same
 * sign, so -1.5 ms is {nanos: -1500000}.
 */
export function toWireDuration(value: number | ProtoTime): WireTime {
  if (typeof value !== 'number') return wireTime(BigInt(value.seconds), value.nanos);
  const totalNanos = BigInt(Math.round(value * 1_000_000));
  // BigInt division truncates toward zero, which gives seconds and nanos the same sign.
  return wireTime(totalNanos / NANOS_PER_SECOND, Number(totalNanos % NANOS_PER_SECOND));
}

/** A decoded Timestamp or Duration: exact, with 64-bit seconds. */
export interface DecodedTime {
  seconds: bigint;
  nanos: number;
}

/** An attribute value as decoded from the wire: 64-bit integers as bigint, times exact. */
export type DecodedAttributeValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'int64'; readonly value: bigint }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'bytes'; readonly value: Uint8Array }
  | { readonly kind: 'timestamp'; readonly value: DecodedTime }
  | { readonly kind: 'duration'; readonly value: DecodedTime }
  | { readonly kind: 'stringMap'; readonly value: Readonly<Record<string, string>> };

/** Decoded Timestamp → Date (sub-millisecond precision is dropped). */
export function timestampToDate(time: ProtoTime): Date {
  return new Date(Number(BigInt(time.seconds)) * 1000 + Math.floor(time.nanos / 1_000_000));
}

/** Decoded Duration → milliseconds (may be fractional). */
export function durationToMillis(time: ProtoTime): number {
  return Number(BigInt(time.seconds)) * 1000 + time.nanos / 1_000_000;
}
