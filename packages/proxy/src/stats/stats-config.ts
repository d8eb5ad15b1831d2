// The bootstrap's stats_config (decoded) → StatStore options, validated with every problem's path.
import type { Bootstrap__Output } from '@weft/api';
import { IssueCollector, type ValidationResult } from '@weft/base';
import type { StatStoreOptions } from './stat-store.js';
import { compileStatsMatcher, compileStringMatch, type HistogramBucketRule, type StringMatch } from './stats-matcher.js';
import { TagProducer, type TagSpecifier } from './tag-extractor.js';

export type StatsConfig = NonNullable<Bootstrap__Output['stats_config']>;
type DecodedStringMatcher = NonNullable<NonNullable<StatsConfig['histogram_bucket_settings'][number]>['match']>;

/**
 * Envoy's semantics: use_all_default_tags (default true) keeps the built-in extractors and the
 * stats_tags are added after them; a stats_tag with neither regex nor fixed_value names a built-in.
 */
export function statStoreOptionsFromConfig(config: StatsConfig | null | undefined, path = 'stats_config'): ValidationResult<StatStoreOptions> {
  const issues = new IssueCollector(path);
  if (!config) return issues.result({});

  const statsTags: TagSpecifier[] = config.stats_tags.map((t) => ({
    tagName: t.tag_name,
    ...(t.tag_value === 'fixed_value' ? { fixedValue: t.fixed_value ?? '' } : { regex: t.regex ?? '' }),
  }));
  const producer = TagProducer.create({ statsTags, useAllDefaultTags: config.use_all_default_tags?.value ?? true });
  if (!(producer instanceof TagProducer)) {
    for (const p of producer) issues.at('stats_tags', p.index).error(p.message);
  }

  const matcher = config.stats_matcher;
  const rejects = compileStatsMatcher(
    matcher
      ? {
          rejectAll: matcher.stats_matcher === 'reject_all' && matcher.reject_all === true,
          ...(matcher.inclusion_list ? { inclusionList: matcher.inclusion_list.patterns.map(toStringMatch) } : {}),
          ...(matcher.exclusion_list ? { exclusionList: matcher.exclusion_list.patterns.map(toStringMatch) } : {}),
        }
      : undefined,
  );
  if (typeof rejects !== 'function') {
    for (const p of rejects) issues.at('stats_matcher').error(`${p.path}: ${p.message}`);
  }

  const histogramBuckets: HistogramBucketRule[] = [];
  config.histogram_bucket_settings.forEach((setting, i) => {
    const at = issues.at('histogram_bucket_settings', i);
    const match = setting.match ? compileStringMatch(toStringMatch(setting.match)) : 'match is required';
    if (typeof match === 'string') at.at('match').error(match);
    const buckets = [...new Set(setting.buckets)].sort((a, b) => a - b);
    if (buckets.length === 0 || buckets.some((b) => !(b > 0))) at.at('buckets').error('buckets must be one or more positive numbers');
    if (typeof match === 'function') histogramBuckets.push({ match, buckets });
  });

  return issues.result<StatStoreOptions>({
    ...(producer instanceof TagProducer ? { tagProducer: producer } : {}),
    ...(typeof rejects === 'function' ? { rejects } : {}),
    histogramBuckets,
  });
}

function toStringMatch(m: DecodedStringMatcher): StringMatch {
  const ignoreCase = m.ignore_case;
  switch (m.match_pattern) {
    case 'exact':
      return { exact: m.exact ?? '', ignoreCase };
    case 'prefix':
      return { prefix: m.prefix ?? '', ignoreCase };
    case 'suffix':
      return { suffix: m.suffix ?? '', ignoreCase };
    case 'contains':
      return { contains: m.contains ?? '', ignoreCase };
    case 'safe_regex':
      return { regex: m.safe_regex?.regex ?? '', ignoreCase };
    default:
      return { ignoreCase };
  }
}
