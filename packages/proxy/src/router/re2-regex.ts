// Envoy's safe_regex is RE2. Patterns run as ECMAScript RegExps, translated once at config time:
// full-match anchoring for matchers, global search for rewrites, RE2's `\1` substitution syntax.
// Constructs RE2 refuses (lookaround, backreferences, atomic groups, possessive quantifiers) are
// rejected while translating, so a config Envoy would NACK is NACKed here too.
// re2-wasm is deliberately not used: it never frees a compiled pattern and aborts the process once
// its fixed 16 MiB heap fills (about 6,000 patterns), which a long-lived proxy would reach.
// https://github.com/google/re2/wiki/Syntax
import { err, ok, type Result } from '@weft/base';

/** A replacement as literal text and capture-group numbers (`\0` is the whole match). */
export type Substitution = ReadonlyArray<string | number>;

/** A pattern compiled for a whole-string match (RE2::FullMatch): matchers on paths, headers, strings. */
export function compileFullMatchRegex(pattern: string): Result<RegExp, string> {
  const translated = translate(pattern);
  if (!translated.ok) return translated;
  const { source, flags } = translated.value;
  // Without the `m` flag `^`/`$` anchor at the ends of the input; with it, lookarounds do.
  const anchored = flags.includes('m') ? `(?<![\\s\\S])(?:${source})(?![\\s\\S])` : `^(?:${source})$`;
  return build(anchored, flags, pattern);
}

/** A pattern compiled to find every match (RE2::GlobalReplace): regex_rewrite and friends. */
export function compileSearchRegex(pattern: string): Result<RegExp, string> {
  const translated = translate(pattern);
  if (!translated.ok) return translated;
  return build(translated.value.source, `${translated.value.flags}g`, pattern);
}

/**
 * Parses an RE2 rewrite string: `\0`..`\9` name capture groups, `\\` is a backslash; any other
 * escape is invalid, as is a group the regex does not have.
 */
export function compileSubstitution(substitution: string, regex: RegExp): Result<Substitution, string> {
  const groups = captureGroupCount(regex);
  const parts: Array<string | number> = [];
  let literal = '';
  for (let i = 0; i < substitution.length; i++) {
    const c = substitution[i];
    if (c !== '\\') {
      literal += c;
      continue;
    }
    const next = substitution[i + 1];
    i++;
    if (next === '\\') {
      literal += '\\';
    } else if (next !== undefined && next >= '0' && next <= '9') {
      const group = Number(next);
      if (group > groups) return err(`substitution ${JSON.stringify(substitution)} names group \\${group}; the regex has ${groups}`);
      if (literal) parts.push(literal);
      literal = '';
      parts.push(group);
    } else {
      return err(`substitution ${JSON.stringify(substitution)} has an invalid escape \\${next ?? ''}`);
    }
  }
  if (literal || parts.length === 0) parts.push(literal);
  return ok(parts);
}

/** Replaces every match of a global regex in `input` with the substitution. */
export function replaceAll(regex: RegExp, input: string, substitution: Substitution): string {
  regex.lastIndex = 0;
  return input.replace(regex, (...args: unknown[]) => {
    let out = '';
    for (const part of substitution) {
      if (typeof part === 'string') out += part;
      else out += (args[part] as string | undefined) ?? '';
    }
    return out;
  });
}

function build(source: string, flags: string, pattern: string): Result<RegExp, string> {
  try {
    return ok(new RegExp(source, flags));
  } catch (e) {
    // Engines echo the pattern ("Invalid regular expression: /x/: reason"); keep the reason.
    const reason = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return err(invalid(pattern, reason));
  }
}

function invalid(pattern: string, reason: string): string {
  return `${JSON.stringify(pattern)} is not a valid RE2 regular expression: ${reason}`;
}

function captureGroupCount(regex: RegExp): number {
  const probe = new RegExp(`${regex.source}|`, regex.flags.replace('g', '')).exec('');
  return probe === null ? 0 : probe.length - 1;
}

// POSIX classes RE2 accepts inside brackets, as ECMAScript class contents.
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

interface Translated {
  source: string;
  flags: string;
}

/** RE2 syntax → ECMAScript syntax with the same meaning, or why that is not possible. */
function translate(pattern: string): Result<Translated, string> {
  const translated = translateSyntax(pattern);
  if (!translated.ok) return err(invalid(pattern, translated.error));
  return translated;
}

function translateSyntax(pattern: string): Result<Translated, string> {
  let flags = '';
  let i = 0;
  for (let lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern); lead; lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern.slice(i))) {
    for (const f of lead[1] ?? '') {
      if (f === 'U') return err('the ungreedy flag (?U) is not supported');
      if (!flags.includes(f)) flags += f;
    }
    i += lead[0].length;
  }
  let unicode = false;
  let inClass = false;
  let out = '';
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const escaped = translateEscape(pattern, i, inClass);
      if (!escaped.ok) return escaped;
      out += escaped.value.text;
      unicode ||= escaped.value.unicode;
      i = escaped.value.next;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const close = pattern.indexOf(':]', i + 2);
        const name = close < 0 ? undefined : pattern.slice(i + 2, close);
        const cls = name === undefined ? undefined : POSIX_CLASSES[name];
        if (cls === undefined) return err(`POSIX class [:${name ?? ''}:] is not supported`);
        out += cls;
        i = close + 2;
        continue;
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      i++;
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i] === ']') {
        out += '\\]'; // a leading ']' is a literal in RE2
        i++;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      if (pattern.startsWith('(?P<', i)) {
        out += '(?<';
        i += 4;
        continue;
      }
      const unsupported = unsupportedGroup(pattern.slice(i + 2, i + 4));
      if (unsupported) return err(unsupported);
      if (/^\(\?[a-zA-Z-]+[:)]/.test(pattern.slice(i))) return err('inline flags are supported only at the start of the pattern');
    }
    if (c === '{') {
      const repeat = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
      if (repeat) {
        out += repeat[0];
        i += repeat[0].length;
        if (pattern[i] === '+') return err('possessive quantifiers are not supported');
        continue;
      }
    }
    if ((c === '*' || c === '+' || c === '?') && pattern[i + 1] === '+') return err('possessive quantifiers are not supported');
    out += c;
    i++;
  }
  if (unicode) flags += 'u';
  return ok({ source: out, flags });
}

interface Escape {
  text: string;
  next: number;
  unicode: boolean;
}

/** Why a `(?` group RE2 refuses is unsupported, from the two characters after `(?`. */
function unsupportedGroup(after: string): string | undefined {
  if (after.startsWith('=') || after.startsWith('!')) return 'lookahead is not supported';
  if (after === '<=' || after === '<!') return 'lookbehind is not supported';
  if (after.startsWith('>')) return 'atomic groups are not supported';
  return undefined;
}

function translateEscape(pattern: string, at: number, inClass: boolean): Result<Escape, string> {
  const next = pattern[at + 1] ?? '';
  const plain = (text: string, length = 2, unicode = false): Result<Escape, string> => ok({ text, next: at + length, unicode });
  if (next === '') return err('trailing backslash');
  if (!inClass && next >= '1' && next <= '9') return err(`backreference \\${next} is not supported`);
  if (!inClass && next === 'k' && pattern[at + 2] === '<') return err('named backreferences are not supported');
  if (next === 'Z') return err('\\Z is not supported; use \\z');
  if (!inClass && next === 'A') return plain('(?<![\\s\\S])');
  if (!inClass && next === 'z') return plain('(?![\\s\\S])');
  if (next === 'C') return err('\\C (any byte) is not supported');
  if (next === 'Q') {
    const end = pattern.indexOf('\\E', at + 2);
    const literal = pattern.slice(at + 2, end < 0 ? pattern.length : end);
    return plain([...literal].map(escapeLiteral).join(''), literal.length + 2 + (end < 0 ? 0 : 2));
  }
  if (next === 'p' || next === 'P') {
    if (pattern[at + 2] === '{') {
      const close = pattern.indexOf('}', at + 3);
      return plain(pattern.slice(at, close + 1), close + 1 - at, true);
    }
    return plain(`\\${next}{${pattern[at + 2] ?? ''}}`, 3, true);
  }
  if (next === 'x' && pattern[at + 2] === '{') {
    const close = pattern.indexOf('}', at + 3);
    return plain(`\\u{${pattern.slice(at + 3, close)}}`, close + 1 - at, true);
  }
  // RE2 lets any punctuation be escaped; ECMAScript's unicode mode does not, so spell it as \xHH.
  if (/^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/.test(next)) return plain(escapeLiteral(next));
  return plain(`\\${next}`);
}

function escapeLiteral(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (/[0-9A-Za-z]/.test(ch) || code > 0x7e) return ch;
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/**
 * RE2 matches in linear time; ECMAScript backtracks. A group that holds an unbounded quantifier and is
 * itself repeated without bound (`(a+)+`, `(x*y)*`) can take exponential time on a hostile header or
 * path, so such patterns earn a warning at config time. A heuristic: it errs toward silence.
 */
export function backtrackingRisk(pattern: string): string | undefined {
  const stack: boolean[] = [];
  let inner = false; // the current group so far holds an unbounded quantifier
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      for (i++; i < pattern.length && pattern[i] !== ']'; i++) if (pattern[i] === '\\') i++;
      continue;
    }
    if (c === '(') {
      stack.push(inner);
      inner = false;
    } else if (c === ')') {
      const group: boolean = inner;
      inner = stack.pop() ?? false;
      const repeated = unboundedQuantifierAt(pattern, i + 1);
      if (group && repeated) return `${JSON.stringify(pattern)} nests unbounded repetition; ECMAScript may backtrack exponentially where RE2 would not`;
      inner ||= group || repeated;
    } else if (unboundedQuantifierAt(pattern, i)) {
      inner = true;
    }
  }
  return undefined;
}

function unboundedQuantifierAt(pattern: string, i: number): boolean {
  const c = pattern[i];
  return c === '*' || c === '+' || (c === '{' && /^\{\d+,\}/.test(pattern.slice(i)));
}
