// Label maps (subset labels, sourceLabels, selectors, metadata.labels) follow Kubernetes' label syntax:
// key = [dns-subdomain "/"] name, name and value at most 63 characters of [A-Za-z0-9._-].
import type { Ctx } from './context.js';
import { isK8sSubdomain } from './hosts.js';

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A label/annotation key; returns why it is invalid, or undefined. */
export function checkLabelKey(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isK8sSubdomain(prefix)) return `invalid label key ${JSON.stringify(key)}: prefix must be a DNS subdomain`;
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `invalid label key ${JSON.stringify(key)}: name must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

export function checkLabelValue(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return `invalid label value ${JSON.stringify(value)}: must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Checks every entry of a label map; each problem is reported at its own key. */
export function checkLabels(labels: Readonly<Record<string, string>> | undefined, ctx: Ctx): void {
  if (labels === undefined) return;
  for (const [k, v] of Object.entries(labels)) {
    const err = checkLabelKey(k) ?? checkLabelValue(v);
    if (err !== undefined) ctx.key(k).error(err);
  }
}

/**
 * security.istio.io selectors: labels must be exact (Envoy matches them literally), so wildcards and
 * empty keys are rejected as Istio does.
 */
export function checkMatchLabels(labels: Readonly<Record<string, string>> | undefined, ctx: Ctx): void {
  if (labels === undefined) return;
  for (const [k, v] of Object.entries(labels)) {
    if (k === '') ctx.key(k).error('empty key is not supported in selector');
    else if (k.includes('*') || v.includes('*')) ctx.key(k).error(`wildcard is not supported in selector: ${JSON.stringify(`${k}=${v}`)}`);
    else checkLabels({ [k]: v }, ctx);
  }
}
