// Istio 1.x reads durations with Go's time.ParseDuration (gogo jsonpb), so "1h2m", "1.5s" and "100ms" are
// all accepted, not only proto3's "<seconds>s". Exact nanoseconds are kept as bigint for precision checks.
import type { Ctx } from './context.js';

export type DurationParse = { readonly ok: true; readonly nanos: bigint } | { readonly ok: false; readonly error: string };

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // micro sign
  ['\u03bcs', 1_000n], // Greek mu
  ['ms', NS_PER_MS],
  ['s', NS_PER_S],
  ['m', 60n * NS_PER_S],
  ['h', 3600n * NS_PER_S],
]);
// Go rejects durations that overflow int64 nanoseconds (about 292 years).
const MAX_NANOS = 9_223_372_036_854_775_807n;

/** Parses a Go duration string ("300ms", "-1.5h", "2h45m"); the exact grammar time.ParseDuration accepts. */
export function parseDuration(text: string): DurationParse {
  const bad = (why: string): DurationParse => ({ ok: false, error: `invalid duration ${JSON.stringify(text)}: ${why}` });
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, nanos: 0n };
  if (s === '') return bad('empty');
  let total = 0n;
  const component = /^(\d*)(?:\.(\d*))?([^\d.]+)/u;
  while (s !== '') {
    const m = component.exec(s);
    if (m === null) return bad('expected a number followed by a unit (ns, us, ms, s, m, h)');
    const [whole, intPart = '', fracPart, unitText = ''] = m;
    if (intPart === '' && (fracPart === undefined || fracPart === '')) return bad('missing digits');
    const unit = UNITS.get(unitText);
    if (unit === undefined) return bad(`unknown unit ${JSON.stringify(unitText)}`);
    let nanos = BigInt(intPart === '' ? '0' : intPart) * unit;
    if (fracPart !== undefined && fracPart !== '') {
      // Sub-nanosecond remainders are truncated, as Go does.
      nanos += (BigInt(fracPart) * unit) / 10n ** BigInt(fracPart.length);
    }
    total += nanos;
    if (total > MAX_NANOS) return bad('too large');
    s = s.slice(whole.length);
  }
  return { ok: true, nanos: negative ? -total : total };
}

/** Nanoseconds as milliseconds (may be fractional). */
export function nanosToMillis(nanos: bigint): number {
  return Number(nanos) / 1e6;
}

/** Parses or throws; for defaults and tests where the text is known to be valid. */
export function durationNanos(text: string): bigint {
  const d = parseDuration(text);
  if (!d.ok) throw new Error(d.error);
  return d.nanos;
}

export interface DurationRule {
  /** Smallest allowed value; Istio's default is 1ms. */
  readonly min?: bigint;
  readonly max?: bigint;
  /** Required precision; Istio requires whole milliseconds, some fields whole seconds. */
  readonly precision?: 'ms' | 's';
}

/**
 * Istio's rule for durations on routes and policies: at least 1ms and whole milliseconds
 * (Envoy's route and cluster timeouts are millisecond-granular). Reports at `ctx`; returns the nanoseconds.
 */
export function checkDuration(text: string | undefined, ctx: Ctx, rule: DurationRule = {}): bigint | undefined {
  if (text === undefined) return undefined;
  const d = parseDuration(text);
  if (!d.ok) {
    ctx.error(d.error);
    return undefined;
  }
  const min = rule.min ?? NS_PER_MS;
  const precision = rule.precision ?? 'ms';
  const unit = precision === 'ms' ? NS_PER_MS : NS_PER_S;
  if (d.nanos < min) ctx.error(`duration ${text} must be at least ${describe(min)}`);
  else if (rule.max !== undefined && d.nanos > rule.max) ctx.error(`duration ${text} must be at most ${describe(rule.max)}`);
  else if (d.nanos % unit !== 0n) ctx.error(`duration ${text} must be a whole number of ${precision === 'ms' ? 'milliseconds' : 'seconds'}`);
  return d.nanos;
}

function describe(nanos: bigint): string {
  if (nanos % NS_PER_S === 0n) return `${nanos / NS_PER_S}s`;
  if (nanos % NS_PER_MS === 0n) return `${nanos / NS_PER_MS}ms`;
  return `${nanos}ns`;
}
