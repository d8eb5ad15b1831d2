// Regexes must compile under RE2 (the v3 proxy's safe_regex); re2-wasm judges when installed, otherwise
// a scan for RE2-unsupported syntax (lookaround, backreferences) plus an ECMAScript compile stands in.
import { createRequire } from 'node:module';

interface Re2Engine {
  new (pattern: string, flags?: string): unknown;
}

let engine: Re2Engine | null | undefined;

/** Loads re2-wasm on first use (no side effects at import time); null when it is not installed. */
function re2(): Re2Engine | null {
  if (engine === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const mod = require('re2-wasm') as { RE2?: Re2Engine };
      engine = mod.RE2 ?? null;
    } catch {
      engine = null;
    }
  }
  return engine;
}

/** Which engine judged the pattern; exposed so tests and `weftctl version` can say. */
export function regexEngine(): 're2-wasm' | 'ecmascript+scan' {
  return re2() === null ? 'ecmascript+scan' : 're2-wasm';
}

/**
 * Constructs RE2 rejects but ECMAScript accepts. Character classes are skipped so `[(?=]` is not
 * mistaken for a lookahead.
 */
export function findRe2Incompatibility(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return `backreference \\${next} is not supported by RE2`;
      if (!inClass && next === 'k' && pattern[i + 2] === '<') return 'named backreference \\k<...> is not supported by RE2';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === ']') i++; // "[]...]" puts a literal ] in the class (RE2 and POSIX)
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) return `lookahead (?${rest[0]}...) is not supported by RE2`;
      if (rest === '<=' || rest === '<!') return `lookbehind (?${rest}...) is not supported by RE2`;
      if (rest.startsWith('>')) return 'atomic group (?>...) is not supported by RE2';
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && pattern[i + 1] === '+') {
      return 'possessive quantifier is not supported by RE2';
    }
  }
  return undefined;
}

// re2-wasm never frees a compiled pattern and has a fixed heap (about 6,000 compiles before it
// aborts), so each distinct pattern is judged once and the verdict remembered: revalidating the
// same config (Pilot's file source, Galley's webhook) then costs nothing.
const verdicts = new Map<string, string | undefined>();

/** Returns why `pattern` is not a valid RE2 regular expression, or undefined when it is. */
export function checkRegex(pattern: string): string | undefined {
  if (verdicts.has(pattern)) return verdicts.get(pattern);
  const verdict = judge(pattern);
  verdicts.set(pattern, verdict);
  return verdict;
}

function judge(pattern: string): string | undefined {
  const prefix = `${JSON.stringify(pattern)} is not a valid RE2 regular expression`;
  const engine = re2();
  if (engine !== null) {
    try {
      new engine(pattern, 'u');
      return undefined;
    } catch (e) {
      return `${prefix}: ${stripEcho((e as Error).message)}`;
    }
  }
  return checkRegexWithoutRe2(pattern);
}

/** The stand-in used when re2-wasm is absent: RE2-incompatibility scan, then an ECMAScript compile. */
export function checkRegexWithoutRe2(pattern: string): string | undefined {
  const prefix = `${JSON.stringify(pattern)} is not a valid RE2 regular expression`;
  const incompatible = findRe2Incompatibility(pattern);
  if (incompatible !== undefined) return `${prefix}: ${incompatible}`;
  try {
    new RegExp(toEcmaScript(pattern));
    return undefined;
  } catch (e) {
    return `${prefix}: ${stripEcho((e as Error).message)}`;
  }
}

// Rewrites RE2-only spellings that have an ECMAScript equivalent, so the fallback does not reject them:
// (?P<name>...) groups, leading inline flags such as (?i), and the \A / \z anchors.
function toEcmaScript(pattern: string): string {
  return pattern
    .replace(/\(\?P</g, '(?<')
    .replace(/^\(\?[imsU]+\)/, '')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$');
}

// Engines echo the pattern ("Invalid regular expression: /x/u: ..."); keep only the reason.
function stripEcho(message: string): string {
  const m = /^Invalid regular expression: \/.*\/[a-z]*: (.*)$/s.exec(message);
  return m?.[1] ?? message;
}
