// Weighted cluster selection (WeightedClusterSpecifierPlugin::pickWeightedCluster): a value in
// [0, total) picks the entry whose cumulative weight interval holds it, so weight 0 entries are never
// chosen. The value comes from the injected random draw, or from the request header `header_name`
// (an unsigned integer, modulo the total) when configured and present exactly once.
import type { HeaderSource } from './request-head.js';

const MAX_UINT64 = (1n << 64n) - 1n;

export interface WeightedChoice {
  readonly weights: readonly number[];
  readonly total: number;
  readonly randomValueHeader?: string;
}

/** The index of the chosen entry. */
export function pickWeighted(choice: WeightedChoice, head: HeaderSource, random: () => number): number {
  let value: number | undefined;
  if (choice.randomValueHeader !== undefined) {
    const raw = head.header(choice.randomValueHeader);
    if (raw !== undefined && /^\d+$/.test(raw)) {
      const n = BigInt(raw);
      // Values beyond uint64 do not parse in Envoy either; the random draw is used instead.
      if (n <= MAX_UINT64) value = Number(n % BigInt(choice.total));
    }
  }
  value ??= Math.floor(random() * choice.total);
  return indexForValue(choice.weights, value);
}

export function indexForValue(weights: readonly number[], value: number): number {
  let end = 0;
  for (let i = 0; i < weights.length; i++) {
    end += weights[i] ?? 0;
    if (value < end) return i;
  }
  return weights.length - 1;
}
