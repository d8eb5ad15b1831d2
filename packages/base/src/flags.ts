// Command-line flags in Istio's style (pflag: --name=value, --name value, -n value, bare booleans),
// with env fallbacks. Only each app's main.ts calls this (STYLE habit 8).
import { parseDuration, formatDuration } from './duration.js';
import type { Issue } from './result.js';

export type FlagType = 'string' | 'int' | 'bool' | 'duration' | 'strings';

interface FlagValueOf {
  string: string;
  int: number;
  bool: boolean;
  /** Milliseconds. */
  duration: number;
  strings: string[];
}

export interface FlagSpec<T extends FlagType = FlagType> {
  readonly type: T;
  readonly description: string;
  readonly default?: FlagValueOf[T];
  readonly short?: string;
  /** Environment variable read when the flag is absent (Istio's PILOT_* style knobs). */
  readonly env?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

/** A flag with a default always has a value; one without may be undefined. */
export type FlagValues<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends FlagSpec<infer T>
    ? S[K] extends { readonly default: FlagValueOf[T] }
      ? FlagValueOf[T]
      : FlagValueOf[T] | undefined
    : never;
};

export interface ParsedFlags<S extends FlagSpecs> {
  readonly values: FlagValues<S>;
  readonly positionals: string[];
  readonly help: boolean;
}

type FlagExtra<T extends FlagType> = Omit<FlagSpec<T>, 'type' | 'description'>;

export function flag<T extends FlagType>(
  type: T,
  description: string,
  extra: FlagExtra<T> & { readonly default: FlagValueOf[T] },
): FlagSpec<T> & { readonly default: FlagValueOf[T] };
export function flag<T extends FlagType>(type: T, description: string, extra?: FlagExtra<T>): FlagSpec<T>;
export function flag<T extends FlagType>(type: T, description: string, extra: FlagExtra<T> = {}): FlagSpec<T> {
  return { type, description, ...extra };
}

function convert(spec: FlagSpec, raw: string): { value?: unknown; error?: string } {
  switch (spec.type) {
    case 'string':
      return { value: raw };
    case 'strings':
      return { value: raw.split(',').map((s) => s.trim()).filter(Boolean) };
    case 'int': {
      if (!/^-?\d+$/.test(raw)) return { error: `invalid integer "${raw}"` };
      return { value: Number(raw) };
    }
    case 'bool': {
      if (raw === 'true' || raw === '1') return { value: true };
      if (raw === 'false' || raw === '0') return { value: false };
      return { error: `invalid boolean "${raw}"` };
    }
    case 'duration': {
      const ms = parseDuration(raw);
      return ms === undefined ? { error: `invalid duration "${raw}" (use Go syntax such as 100ms, 10s)` } : { value: ms };
    }
  }
}

/**
 * Parses argv against specs. Every problem is collected (unknown flag, missing value,
 * bad value) so that a user sees all of them at once.
 */
export function parseFlags<S extends FlagSpecs>(
  specs: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): { ok: true; flags: ParsedFlags<S> } | { ok: false; errors: Issue[] } {
  const byShort = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([n, s]) => [s.short as string, n]));
  const values: Record<string, unknown> = {};
  const errors: Issue[] = [];
  const positionals: string[] = [];
  const given = new Set<string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const long = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    const short = long ? null : /^-([A-Za-z])(?:=(.*))?$/s.exec(arg);
    if (!long && !short) {
      positionals.push(arg);
      continue;
    }
    const name = long ? (long[1] as string) : byShort.get((short as RegExpExecArray)[1] as string);
    const inline = long ? long[2] : (short as RegExpExecArray)[2];
    const spec = name === undefined ? undefined : specs[name];
    if (!spec || name === undefined) {
      errors.push({ path: arg.split('=')[0] as string, message: 'unknown flag' });
      continue;
    }
    given.add(name);
    let raw = inline;
    if (raw === undefined) {
      if (spec.type === 'bool') raw = 'true';
      else if (i + 1 < argv.length) raw = argv[++i];
      else {
        errors.push({ path: `--${name}`, message: 'flag needs a value' });
        continue;
      }
    }
    const c = convert(spec, raw as string);
    if (c.error) errors.push({ path: `--${name}`, message: c.error });
    else values[name] = spec.type === 'strings' && Array.isArray(values[name]) ? [...(values[name] as string[]), ...(c.value as string[])] : c.value;
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (given.has(name)) continue;
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') {
      const c = convert(spec, fromEnv);
      if (c.error) errors.push({ path: `$${spec.env}`, message: c.error });
      else values[name] = c.value;
    } else if (spec.default !== undefined) {
      values[name] = spec.default;
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, flags: { values: values as FlagValues<S>, positionals, help } };
}

function showDefault(spec: FlagSpec): string {
  if (spec.default === undefined || spec.default === '' || spec.default === false) return '';
  const d = spec.type === 'duration' ? formatDuration(spec.default as number) : Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
  return ` (default ${JSON.stringify(d)})`;
}

/** Help text listing every flag with its type, default and env variable. */
export function formatHelp(usage: string, specs: FlagSpecs, summary?: string): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `  ${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'bool' ? '' : ` ${s.type}`}`;
    const env = s.env ? ` [$${s.env}]` : '';
    return { left, right: `${s.description}${showDefault(s)}${env}` };
  });
  rows.push({ left: '  -h, --help', right: 'show this help' });
  const width = Math.max(...rows.map((r) => r.left.length)) + 3;
  return [
    ...(summary ? [summary, ''] : []),
    `Usage:\n  ${usage}`,
    '',
    'Flags:',
    ...rows.map((r) => r.left.padEnd(width) + r.right),
    '',
  ].join('\n');
}
