// google.protobuf.Duration → milliseconds, truncating as Envoy's DurationUtil::durationToMilliseconds does.
import type { DurationConfig } from './config-types.js';

export function durationMs(d: DurationConfig): number {
  return Number(d.seconds) * 1000 + Math.trunc(d.nanos / 1_000_000);
}

/** Milliseconds of a set Duration, undefined when the field is unset. */
export function optionalMs(d: DurationConfig | null | undefined): number | undefined {
  return d ? durationMs(d) : undefined;
}
