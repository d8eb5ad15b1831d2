// Tag extraction: turning `cluster.<name>.upstream_rq_200` into `cluster.upstream_rq` plus tags, as Envoy does.
//
// Semantics (Envoy source/common/stats/tag_extractor_impl.cc, tag_producer_impl.cc):
// - a specifier's regex is searched in the FULL stat name; capture group 1 is the text removed from
//   the name, group 2 (if the regex has one) the tag value, else group 1 is the value too;
// - every extractor sees the original name; the removed spans are united and cut at the end;
// - extractors without a literal `^prefix\.` run first, in order, then those whose prefix equals the
//   name's first token; that order is the order of the tags (hence the labels);
// - when several extractors share a tag name, the first that matches wins;
// - a fixed_value specifier adds its tag to every stat.
// Envoy's regexes are C++ std::regex (ECMAScript grammar), which also allows POSIX classes such as
// `[[:digit:]]` inside brackets; those are translated to their JavaScript equivalents.

export interface Tag {
  readonly name: string;
  readonly value: string;
}

export interface TaggedName {
  /** The name with every extracted span removed: `cluster.upstream_rq`. */
  readonly extractedName: string;
  readonly tags: readonly Tag[];
}

/** One entry of the bootstrap's `stats_config.stats_tags`. */
export interface TagSpecifier {
  readonly tagName: string;
  /** Empty or absent: use the built-in regex(es) for this tag name. */
  readonly regex?: string;
  readonly fixedValue?: string;
}

/** A built-in specifier; `substr` is a cheap pre-filter (the name must contain it). */
export interface DefaultTagSpecifier {
  readonly tagName: string;
  readonly regex: string;
  readonly substr?: string;
}

export const TagNames = {
  CLUSTER_NAME: 'envoy.cluster_name',
  LISTENER_ADDRESS: 'envoy.listener_address',
  HTTP_CONN_MANAGER_PREFIX: 'envoy.http_conn_manager_prefix',
  HTTP_USER_AGENT: 'envoy.http_user_agent',
  SSL_CIPHER: 'envoy.ssl_cipher',
  SSL_CIPHER_SUITE: 'cipher_suite',
  CLIENTSSL_PREFIX: 'envoy.clientssl_prefix',
  MONGO_PREFIX: 'envoy.mongo_prefix',
  MONGO_CMD: 'envoy.mongo_cmd',
  MONGO_COLLECTION: 'envoy.mongo_collection',
  MONGO_CALLSITE: 'envoy.mongo_callsite',
  RATELIMIT_PREFIX: 'envoy.ratelimit_prefix',
  TCP_PREFIX: 'envoy.tcp_prefix',
  UDP_PREFIX: 'envoy.udp_prefix',
  FAULT_DOWNSTREAM_CLUSTER: 'envoy.fault_downstream_cluster',
  DYNAMO_OPERATION: 'envoy.dynamo_operation',
  DYNAMO_TABLE: 'envoy.dynamo_table',
  DYNAMO_PARTITION_ID: 'envoy.dynamo_partition_id',
  GRPC_BRIDGE_SERVICE: 'envoy.grpc_bridge_service',
  GRPC_BRIDGE_METHOD: 'envoy.grpc_bridge_method',
  VIRTUAL_HOST: 'envoy.virtual_host',
  VIRTUAL_CLUSTER: 'envoy.virtual_cluster',
  RESPONSE_CODE: 'envoy.response_code',
  RESPONSE_CODE_CLASS: 'envoy.response_code_class',
  RDS_ROUTE_CONFIG: 'envoy.rds_route_config',
  WORKER_ID: 'envoy.worker_id',
} as const;

const N = TagNames;

/**
 * Envoy's cluster-name regex stops at the first dot, which would cut Istio's
 * `outbound|9080||reviews.default.svc.cluster.local` to `outbound|9080||reviews`. Istio's bootstrap
 * (stats_config.stats_tags, 1.1 onwards) replaces it with this one, which keeps a trailing
 * `.<ns>.svc.cluster.local`; Istio's dashboards query the result. Hosts outside the mesh domain that
 * contain dots (`outbound|443||www.google.com`) are still cut at their first dot, as with Istio.
 */
export const ISTIO_CLUSTER_NAME_REGEX = String.raw`^cluster\.((.+?(\..+?\.svc\.cluster\.local)?)\.)`;

/** IP-ish stat prefixes only: `0.0.0.0_80`, `[__1]_80`, `10.1.0.10_9080` (Envoy's listener-address form). */
const ADDRESS_LIKE = String.raw`(?:[_.[:digit:]]*|[_\[\]aAbBcCdDeEfF[:digit:]]*)`;

/** Envoy's built-in specifiers, in Envoy's order (source/common/config/well_known_names.cc). */
export const ENVOY_DEFAULT_TAG_SPECIFIERS: readonly DefaultTagSpecifier[] = [
  { tagName: N.RESPONSE_CODE, regex: String.raw`_rq(_(\d{3}))$`, substr: '_rq_' },
  { tagName: N.RESPONSE_CODE_CLASS, regex: String.raw`_rq_(\d)xx$`, substr: '_rq_' },
  {
    tagName: N.DYNAMO_PARTITION_ID,
    regex: String.raw`^http(?=\.).*?\.dynamodb\.table(?=\.).*?\.capacity(?=\.).*?(\.__partition_id=(\w{7}))$`,
    substr: '.dynamodb.table.',
  },
  {
    tagName: N.DYNAMO_OPERATION,
    regex: String.raw`^http(?=\.).*?\.dynamodb.(?:operation|table(?=\.).*?\.capacity)(\.(.*?))(?:\.|$)`,
    substr: '.dynamodb.',
  },
  {
    tagName: N.MONGO_CALLSITE,
    regex: String.raw`^mongo(?=\.).*?\.collection(?=\.).*?\.callsite\.((.*?)\.).*?query.\w+?$`,
    substr: '.collection.',
  },
  { tagName: N.DYNAMO_TABLE, regex: String.raw`^http(?=\.).*?\.dynamodb.(?:table|error)\.((.*?)\.)`, substr: '.dynamodb.' },
  { tagName: N.MONGO_COLLECTION, regex: String.raw`^mongo(?=\.).*?\.collection\.((.*?)\.).*?query.\w+?$`, substr: '.collection.' },
  { tagName: N.MONGO_CMD, regex: String.raw`^mongo(?=\.).*?\.cmd\.((.*?)\.)\w+?$`, substr: '.cmd.' },
  { tagName: N.GRPC_BRIDGE_METHOD, regex: String.raw`^cluster(?=\.).*?\.grpc(?=\.).*\.((.*?)\.)\w+?$`, substr: '.grpc.' },
  { tagName: N.HTTP_USER_AGENT, regex: String.raw`^http(?=\.).*?\.user_agent\.((.*?)\.)\w+?$`, substr: '.user_agent.' },
  { tagName: N.VIRTUAL_CLUSTER, regex: String.raw`^vhost(?=\.).*?\.vcluster\.((.*?)\.)\w+?$`, substr: '.vcluster.' },
  { tagName: N.FAULT_DOWNSTREAM_CLUSTER, regex: String.raw`^http(?=\.).*?\.fault\.((.*?)\.)\w+?$`, substr: '.fault.' },
  { tagName: N.SSL_CIPHER, regex: String.raw`^listener(?=\.).*?\.ssl\.cipher(\.(.*?))$` },
  { tagName: N.SSL_CIPHER_SUITE, regex: String.raw`^cluster(?=\.).*?\.ssl\.ciphers(\.(.*?))$`, substr: '.ssl.ciphers.' },
  { tagName: N.GRPC_BRIDGE_SERVICE, regex: String.raw`^cluster(?=\.).*?\.grpc\.((.*?)\.)`, substr: '.grpc.' },
  { tagName: N.TCP_PREFIX, regex: String.raw`^tcp\.((.*?)\.)\w+?$` },
  { tagName: N.UDP_PREFIX, regex: String.raw`^udp\.((.*?)\.)\w+?$` },
  { tagName: N.CLIENTSSL_PREFIX, regex: String.raw`^auth\.clientssl\.((.*?)\.)\w+?$` },
  { tagName: N.RATELIMIT_PREFIX, regex: String.raw`^ratelimit\.((.*?)\.)\w+?$` },
  { tagName: N.CLUSTER_NAME, regex: String.raw`^cluster\.((.*?)\.)` },
  { tagName: N.HTTP_CONN_MANAGER_PREFIX, regex: String.raw`^listener(?=\.).*?\.http\.((.*?)\.)`, substr: '.http.' },
  { tagName: N.HTTP_CONN_MANAGER_PREFIX, regex: String.raw`^http\.((.*?)\.)` },
  { tagName: N.LISTENER_ADDRESS, regex: String.raw`^listener\.((${ADDRESS_LIKE})\.)` },
  { tagName: N.VIRTUAL_HOST, regex: String.raw`^vhost\.((.*?)\.)` },
  { tagName: N.MONGO_PREFIX, regex: String.raw`^mongo\.((.*?)\.)` },
  { tagName: N.RDS_ROUTE_CONFIG, regex: String.raw`^http(?=\.).*?\.rds\.((.*?)\.)\w+?$`, substr: '.rds.' },
  { tagName: N.WORKER_ID, regex: String.raw`^listener_manager\.((worker_\d+)\.)`, substr: 'listener_manager.worker_' },
];

/**
 * An HTTP connection manager stat prefix that looks like an address, optionally after one lowercase
 * word: `0.0.0.0_80`, `10.1.0.10_9080`, `inbound_0.0.0.0_9080`. Envoy's `^http\.((.*?)\.)` would
 * stop at the first dot and report "0" or "inbound_0"; Istio's bootstrap restricts the prefix to
 * this address form (we also allow the word) so the whole prefix becomes the tag.
 */
const HTTP_PREFIX_LIKE = String.raw`(?:[a-z]+_)?${ADDRESS_LIKE}`;

/**
 * Weft's built-in specifiers: Envoy's, except that the cluster name is taken Istio's way, so that
 * `envoy_cluster_name="outbound|80|v1|web.default.svc.cluster.local"` comes out whole, and address-like
 * HTTP stat prefixes are tried before Envoy's cut-at-the-first-dot form (which stays as the fallback
 * for prefixes such as `admin`: the first extractor of a tag name that matches wins).
 */
export const DEFAULT_TAG_SPECIFIERS: readonly DefaultTagSpecifier[] = ENVOY_DEFAULT_TAG_SPECIFIERS.flatMap((s): DefaultTagSpecifier[] => {
  if (s.tagName === N.CLUSTER_NAME) return [{ tagName: s.tagName, regex: ISTIO_CLUSTER_NAME_REGEX }];
  if (s.tagName !== N.HTTP_CONN_MANAGER_PREFIX) return [s];
  const addressLike = s.regex.replace(String.raw`((.*?)\.)`, String.raw`((${HTTP_PREFIX_LIKE})\.)`);
  return [{ ...s, regex: addressLike }, s];
});

export interface TagProducerOptions {
  /** The bootstrap's stats_tags, applied after the defaults. */
  readonly statsTags?: readonly TagSpecifier[];
  /** Envoy's use_all_default_tags (default true). */
  readonly useAllDefaultTags?: boolean;
  /** The built-in set; DEFAULT_TAG_SPECIFIERS unless a test or a purist wants Envoy's exact set. */
  readonly defaults?: readonly DefaultTagSpecifier[];
}

interface Extractor {
  readonly name: string;
  readonly prefix: string;
  readonly substr: string;
  /** Undefined for a fixed-value tag. */
  readonly regex: RegExp | undefined;
  readonly fixedValue: string;
}

export class TagProducer {
  private readonly withoutPrefix: Extractor[] = [];
  private readonly byPrefix = new Map<string, Extractor[]>();
  private readonly shared = new Set<string>();

  private constructor(extractors: readonly Extractor[]) {
    const seen = new Set<string>();
    for (const e of extractors) {
      if (seen.has(e.name)) this.shared.add(e.name);
      seen.add(e.name);
      if (e.prefix === '') this.withoutPrefix.push(e);
      else {
        const list = this.byPrefix.get(e.prefix) ?? [];
        list.push(e);
        this.byPrefix.set(e.prefix, list);
      }
    }
  }

  /**
   * Builds the producer, or the problems (each `[index]: message`, index into statsTags) that made
   * Envoy refuse the config: an empty tag name, a bad regex, a name with no regex and no built-in.
   */
  static create(options: TagProducerOptions = {}): TagProducer | Array<{ index: number; message: string }> {
    const defaults = options.defaults ?? DEFAULT_TAG_SPECIFIERS;
    const extractors: Extractor[] = [];
    const problems: Array<{ index: number; message: string }> = [];
    if (options.useAllDefaultTags ?? true) {
      for (const d of defaults) extractors.push(regexExtractor(d.tagName, d.regex, d.substr ?? ''));
    }
    (options.statsTags ?? []).forEach((spec, index) => {
      if (spec.tagName === '') return problems.push({ index, message: 'tag_name cannot be empty' });
      if (spec.fixedValue !== undefined) {
        extractors.push({ name: spec.tagName, prefix: '', substr: '', regex: undefined, fixedValue: spec.fixedValue });
      } else if (!spec.regex) {
        const builtIns = defaults.filter((d) => d.tagName === spec.tagName);
        if (builtIns.length === 0) {
          return problems.push({ index, message: `no regex specified for tag specifier and no default regex for name '${spec.tagName}'` });
        }
        for (const d of builtIns) extractors.push(regexExtractor(d.tagName, d.regex, d.substr ?? ''));
      } else {
        const compiled = compileEnvoyRegex(spec.regex);
        if (typeof compiled === 'string') return problems.push({ index, message: compiled });
        extractors.push({ name: spec.tagName, prefix: regexPrefix(spec.regex), substr: '', regex: compiled, fixedValue: '' });
      }
      return undefined;
    });
    return problems.length > 0 ? problems : new TagProducer(extractors);
  }

  produceTags(statName: string): TaggedName {
    const tags: Tag[] = [];
    const removed: Array<[number, number]> = [];
    const matched = this.shared.size > 0 ? new Set<string>() : undefined;
    const apply = (e: Extractor): void => {
      if (matched?.has(e.name)) return;
      if (extract(e, statName, tags, removed) && this.shared.has(e.name)) matched?.add(e.name);
    };
    for (const e of this.withoutPrefix) apply(e);
    const dot = statName.indexOf('.');
    if (dot >= 0) for (const e of this.byPrefix.get(statName.slice(0, dot)) ?? []) apply(e);
    return { extractedName: removeSpans(statName, removed), tags };
  }
}

function regexExtractor(name: string, source: string, substr: string): Extractor {
  const regex = compileEnvoyRegex(source);
  // The built-ins are fixed strings: a failure here is a bug in this file, not bad config.
  if (typeof regex === 'string') throw new Error(`built-in tag regex for ${name}: ${regex}`);
  return { name, prefix: regexPrefix(source), substr, regex, fixedValue: '' };
}

function extract(e: Extractor, statName: string, tags: Tag[], removed: Array<[number, number]>): boolean {
  if (!e.regex) {
    tags.push({ name: e.name, value: e.fixedValue });
    return true;
  }
  if (e.substr !== '' && !statName.includes(e.substr)) return false;
  const m = e.regex.exec(statName);
  // The regex must have at least one group (Envoy: match.size() > 1).
  if (!m || m.length < 2) return false;
  const span = m.indices?.[1];
  // An alternative that did not take part gives an empty value and removes nothing, as in Envoy.
  const value = m.length > 2 ? (m[2] ?? '') : (m[1] ?? '');
  tags.push({ name: e.name, value });
  if (span) removed.push([span[0], span[1]]);
  return true;
}

function removeSpans(name: string, spans: Array<[number, number]>): string {
  if (spans.length === 0) return name;
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [start, end] of spans) {
    if (start > pos) out += name.slice(pos, start);
    if (end > pos) pos = end;
  }
  return out + name.slice(pos);
}

/**
 * The literal first token a regex requires (`^cluster\.` → "cluster"), which lets the producer skip
 * it for other names; mirrors Envoy's extractRegexPrefix.
 */
export function regexPrefix(regex: string): string {
  if (!regex.startsWith('^')) return '';
  let i = 1;
  while (i < regex.length && /[A-Za-z0-9_]/.test(regex[i] as string)) i++;
  if (i === 1 || i >= regex.length) return '';
  const rest = regex.slice(i);
  if (rest.startsWith('\\.') || rest.startsWith('(?=\\.)') || rest === '$') return regex.slice(1, i);
  return '';
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  d: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\s',
  s: '\\s',
  upper: 'A-Z',
  w: '\\w',
  xdigit: '0-9A-Fa-f',
};

/** Compiles an Envoy (std::regex ECMAScript) pattern for JavaScript, with group indices; a string on error. */
export function compileEnvoyRegex(source: string): RegExp | string {
  let translated = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      translated += source.slice(i, i + 2);
      i++;
    } else if (c === '[' && source.startsWith('[:', i)) {
      const end = source.indexOf(':]', i + 2);
      const cls = end < 0 ? undefined : POSIX_CLASSES[source.slice(i + 2, end)];
      if (cls === undefined) return `unsupported character class in regex '${source}'`;
      translated += cls;
      i = end + 1;
    } else {
      translated += c;
    }
  }
  try {
    return new RegExp(translated, 'd');
  } catch (e) {
    return `invalid regex '${source}': ${(e as Error).message}`;
  }
}
