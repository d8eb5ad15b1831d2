// Which stats are instantiated at all (Envoy's stats_config.stats_matcher), and per-stat histogram buckets.
//
// Envoy decides at creation time: a rejected stat is a "null" stat that the code can still increment
// but that no output lists. Istio 1.3's bootstrap uses an inclusion list to keep sidecars small.

/** A subset of envoy.type.matcher.v3.StringMatcher: exactly one of the patterns is set. */
export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly contains?: string;
  /** safe_regex.regex (RE2 in Envoy); full-match semantics. */
  readonly regex?: string;
  readonly ignoreCase?: boolean;
}

export interface StatsMatcherSpec {
  readonly rejectAll?: boolean;
  /** Only stats matching one of these are kept. */
  readonly inclusionList?: readonly StringMatch[];
  /** Stats matching one of these are dropped. */
  readonly exclusionList?: readonly StringMatch[];
}

export type NamePredicate = (name: string) => boolean;

/** Compiles one StringMatcher; a string on error (an invalid regex, or no pattern). */
export function compileStringMatch(m: StringMatch): NamePredicate | string {
  const fold = m.ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (m.exact !== undefined) {
    const want = fold(m.exact);
    return (n) => fold(n) === want;
  }
  if (m.prefix !== undefined) {
    const want = fold(m.prefix);
    return (n) => fold(n).startsWith(want);
  }
  if (m.suffix !== undefined) {
    const want = fold(m.suffix);
    return (n) => fold(n).endsWith(want);
  }
  if (m.contains !== undefined) {
    const want = fold(m.contains);
    return (n) => fold(n).includes(want);
  }
  if (m.regex !== undefined) {
    try {
      const re = new RegExp(`^(?:${m.regex})$`, m.ignoreCase ? 'i' : '');
      return (n) => re.test(n);
    } catch (e) {
      return `invalid regex '${m.regex}': ${(e as Error).message}`;
    }
  }
  return 'a string matcher needs one of exact, prefix, suffix, contains, safe_regex';
}

/**
 * The predicate "is this stat rejected?", or the problems (`path: message` pairs relative to the
 * matcher). No spec rejects nothing.
 */
export function compileStatsMatcher(spec: StatsMatcherSpec | undefined): NamePredicate | Array<{ path: string; message: string }> {
  if (!spec) return () => false;
  if (spec.rejectAll) return () => true;
  const problems: Array<{ path: string; message: string }> = [];
  const compileList = (list: readonly StringMatch[], field: string): NamePredicate[] =>
    list.flatMap((m, i) => {
      const p = compileStringMatch(m);
      if (typeof p === 'string') {
        problems.push({ path: `${field}.patterns[${i}]`, message: p });
        return [];
      }
      return [p];
    });
  if (spec.inclusionList) {
    const include = compileList(spec.inclusionList, 'inclusion_list');
    return problems.length > 0 ? problems : (name) => !include.some((p) => p(name));
  }
  if (spec.exclusionList) {
    const exclude = compileList(spec.exclusionList, 'exclusion_list');
    return problems.length > 0 ? problems : (name) => exclude.some((p) => p(name));
  }
  return () => false;
}

/** stats_config.histogram_bucket_settings: the first entry whose matcher accepts the name sets its buckets. */
export interface HistogramBucketRule {
  readonly match: NamePredicate;
  readonly buckets: readonly number[];
}
