// envoy.type.v3.FractionalPercent and RuntimeFractionalPercent. There is no runtime layer in weft-proxy,
// so a runtime_key never overrides the default_value.
import type { FractionalPercentConfig, RuntimeFractionalPercentConfig } from './config-types.js';

export interface Fraction {
  readonly numerator: number;
  readonly denominator: number;
}

const DENOMINATORS: Readonly<Record<string, number>> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

export const ALWAYS: Fraction = { numerator: 100, denominator: 100 };

/** A FractionalPercent; an absent one is 0% (the proto's defaults). */
export function fractionOf(config: FractionalPercentConfig | null | undefined): Fraction {
  if (!config) return { numerator: 0, denominator: 100 };
  return { numerator: config.numerator, denominator: DENOMINATORS[config.denominator] ?? 100 };
}

/** The default_value of a RuntimeFractionalPercent, or `absent` when the field is unset. */
export function runtimeFractionOf(config: RuntimeFractionalPercentConfig | null | undefined, absent: Fraction): Fraction {
  return config ? fractionOf(config.default_value) : absent;
}

/**
 * Envoy draws an integer r and enables the feature when r mod denominator < numerator. With r
 * uniform in [0, 1) the same test is floor(r × denominator) < numerator; numerators past the
 * denominator are always on.
 */
export function fractionHit(fraction: Fraction, random: number): boolean {
  return Math.floor(random * fraction.denominator) < fraction.numerator;
}

/** The fraction in parts per million, capped at 100%. */
export function perMillion(fraction: Fraction): number {
  return Math.min(1_000_000, Math.round((fraction.numerator * 1_000_000) / fraction.denominator));
}
