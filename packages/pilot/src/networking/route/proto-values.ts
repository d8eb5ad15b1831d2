// Small well-known values in the registry's object form: durations, FractionalPercent, typed Any.
import { parseDuration } from '@weft/api';
import { packTyped } from '../cluster/typed-config.js';

export interface ProtoDurationValue {
  readonly seconds: string;
  readonly nanos: number;
}

const NS_PER_S = 1_000_000_000n;

export function durationFromNanos(nanos: bigint): ProtoDurationValue {
  return { seconds: (nanos / NS_PER_S).toString(), nanos: Number(nanos % NS_PER_S) };
}

/** An Istio duration string ("10s", "1.5s", "2m"); undefined when unset or unparsable (validated upstream). */
export function durationOf(text: string | undefined): ProtoDurationValue | undefined {
  if (text === undefined) return undefined;
  const d = parseDuration(text);
  return d.ok ? durationFromNanos(d.nanos) : undefined;
}

/** `0s`: Istio's "disabled" for route timeouts and stream idle timeouts. */
export const ZERO_DURATION: ProtoDurationValue = { seconds: '0', nanos: 0 };

export interface FractionalPercentValue {
  readonly numerator: number;
  readonly denominator: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION';
}

/** Istio's translatePercentToFractionalPercent: a double percentage as parts per million. */
export function percentToFractional(value: number): FractionalPercentValue {
  return { numerator: Math.trunc(value * 10000), denominator: 'MILLION' };
}

/** Istio's translateIntegerToFractionalPercent: a whole percentage. */
export function integerToFractional(value: number): FractionalPercentValue {
  return { numerator: Math.trunc(value), denominator: 'HUNDRED' };
}

/** A message packed into google.protobuf.Any; unknown keys are a generator bug and throw. */
export function typedConfig(messageType: string, object: object): { type_url: string; value: Uint8Array } {
  return packTyped(messageType, object);
}
