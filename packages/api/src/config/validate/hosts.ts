// Host and name rules from Istio's pkg/config: DNS-1123 labels, FQDNs, leftmost-only wildcards, and the
// wildcard-aware Matches/SubsetOf relations used for duplicate hosts and SNI checks.
import type { Ctx } from './context.js';
import { isIP } from './ip.js';

const DNS1123_LABEL = /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
// A wildcard label is "*", or a label prefixed by "*" or "*-" ("*foo", "*-foo"), as Istio allows.
const WILDCARD_LABEL = /^(\*|(\*|\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
const K8S_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const K8S_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Istio's DNS-1123 label (case-insensitive, at most 63 characters). */
export function isDNS1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

export function isWildcardDNS1123Label(value: string): boolean {
  return value.length <= 63 && WILDCARD_LABEL.test(value);
}

/** Kubernetes' stricter (lower-case) label, required of namespaces. */
export function isK8sLabel(value: string): boolean {
  return value.length <= 63 && K8S_LABEL.test(value);
}

/** Kubernetes' DNS-1123 subdomain, required of object names. */
export function isK8sSubdomain(value: string): boolean {
  return value.length <= 253 && K8S_SUBDOMAIN.test(value);
}

function checkLength(name: string): string | undefined {
  if (name.length === 0) return 'empty domain name not allowed';
  if (name.length > 255) return `domain name ${JSON.stringify(name)} is too long (max 255)`;
  return undefined;
}

function checkLabels(domain: string, whole: string): string | undefined {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1] ?? '';
  if (/^-?\d+$/.test(tld)) return `domain name ${JSON.stringify(whole)} is invalid: top-level domain ${JSON.stringify(tld)} cannot be all numeric`;
  for (const [i, label] of parts.entries()) {
    // A trailing dot ("istio.io.") is an unambiguous absolute name.
    if (i === parts.length - 1 && label === '' && i > 0) return undefined;
    if (!isDNS1123Label(label)) return `domain name ${JSON.stringify(whole)} is invalid: label ${JSON.stringify(label)} is not a DNS-1123 label`;
  }
  return undefined;
}

/** A fully qualified name or short name with no wildcards. Returns an error message or undefined. */
export function checkFQDN(name: string): string | undefined {
  return checkLength(name) ?? checkLabels(name, name);
}

/** Like checkFQDN, but the leftmost label may be a wildcard (`*`, `*.foo.com`). */
export function checkWildcardDomain(name: string): string | undefined {
  const short = checkLength(name);
  if (short !== undefined) return short;
  const dot = name.indexOf('.');
  const first = dot < 0 ? name : name.slice(0, dot);
  if (!isWildcardDNS1123Label(first)) {
    const where = name.indexOf('*', 1) > 0 ? ' (wildcards are only allowed as the leftmost label)' : '';
    return `domain name ${JSON.stringify(name)} is invalid: label ${JSON.stringify(first)} is not valid${where}`;
  }
  if (dot < 0) return undefined;
  const rest = name.slice(dot + 1);
  if (rest.includes('*')) return `domain name ${JSON.stringify(name)} is invalid: wildcards are only allowed as the leftmost label`;
  return checkLabels(rest, name);
}

/** True for `*` or `*.foo` style names. */
export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/** Istio's host.Name.Matches: the two names (wildcards included) overlap in at least one concrete host. */
export function hostsMatch(a: string, b: string): boolean {
  const aw = isWildcardHost(a);
  const bw = isWildcardHost(b);
  if (aw && bw) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** Istio's host.Name.SubsetOf: every host matched by `a` is matched by `b`. */
export function hostSubsetOf(a: string, b: string): boolean {
  if (isWildcardHost(a)) return isWildcardHost(b) && a.slice(1).endsWith(b.slice(1));
  if (isWildcardHost(b)) return a.endsWith(b.slice(1));
  return a === b;
}

/** The `dnsName` half of Gateway server hosts and Sidecar egress hosts: FQDN or wildcard, no short names. */
function checkScopedDnsName(name: string, isGateway: boolean, ctx: Ctx): void {
  if (name !== '*' && !name.includes('.')) ctx.error(`short names (non FQDN) are not allowed: ${JSON.stringify(name)}`);
  const err = checkWildcardDomain(name);
  // Gateways also accept an IP address as the host.
  if (err !== undefined && !(isGateway && isIP(name))) ctx.error(err);
}

/**
 * Gateway `servers[].hosts` and Sidecar `egress[].hosts`: `namespace/dnsName`. Sidecars require the
 * namespace part (`*`, `.`, `~` or a namespace); gateways also accept a bare `dnsName` (pre-1.1 form).
 */
export function checkNamespacedHost(host: string, isGateway: boolean, ctx: Ctx): void {
  const slash = host.indexOf('/');
  if (slash < 0) {
    if (isGateway) checkScopedDnsName(host, true, ctx);
    else ctx.error(`host ${JSON.stringify(host)} must be of the form namespace/dnsName`);
    return;
  }
  const ns = host.slice(0, slash);
  const name = host.slice(slash + 1);
  if (ns === '' || name === '') {
    ctx.error(`host ${JSON.stringify(host)}: namespace and dnsName cannot be empty`);
    if (name === '') return;
  }
  const special = isGateway ? ['*', '.'] : ['*', '.', '~'];
  if (ns !== '' && !special.includes(ns) && !isDNS1123Label(ns)) {
    ctx.error(`host ${JSON.stringify(host)}: invalid namespace ${JSON.stringify(ns)} (expected ${special.join(', ')} or a namespace name)`);
  }
  checkScopedDnsName(name, isGateway, ctx);
}

/** VirtualService `gateways`: `mesh`, `name`, or `namespace/name`. */
export function checkGatewayReference(ref: string, ctx: Ctx): void {
  const slash = ref.indexOf('/');
  if (slash < 0) {
    // The bare form is a (possibly dotted, legacy) gateway name or the reserved word "mesh".
    const err = checkFQDN(ref);
    if (err !== undefined) ctx.error(`invalid gateway reference ${JSON.stringify(ref)}: ${err}`);
    return;
  }
  const ns = ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  if (!isDNS1123Label(ns)) ctx.error(`invalid gateway reference ${JSON.stringify(ref)}: namespace ${JSON.stringify(ns)} is not a DNS-1123 label`);
  if (!isDNS1123Label(name)) ctx.error(`invalid gateway reference ${JSON.stringify(ref)}: name ${JSON.stringify(name)} is not a DNS-1123 label`);
}

/** Istio's reserved gateway name meaning "all sidecars in the mesh". */
export const MESH_GATEWAY = 'mesh';
