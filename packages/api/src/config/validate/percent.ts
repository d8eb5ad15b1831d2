// Percentages: integer percents (0-100) and the fractional Percent message Envoy turns into parts per million.
import type { Percent } from '../types/port.js';
import type { Ctx } from './context.js';

export function checkIntPercent(value: number | undefined, ctx: Ctx): void {
  if (value !== undefined && (value < 0 || value > 100)) ctx.error(`percentage ${value} must be in the range 0..100`);
}

/** Envoy keeps six decimal digits of a percentage, so non-zero values below 0.0001 would round to 0. */
export function checkPercentage(p: Percent | undefined, ctx: Ctx): void {
  const v = p?.value;
  if (v === undefined) return;
  if (v < 0 || v > 100 || (v > 0 && v < 0.0001)) ctx.at('value').error(`percentage ${v} must be 0 or in the range [0.0001, 100]`);
}
