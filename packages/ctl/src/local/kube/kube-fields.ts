// Small readers for validating Kubernetes-shaped YAML: each reads one field, reports a problem at its
// path and returns undefined on error, so a validator collects every problem in one pass.
import { IssueCollector } from '@weft/base';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

/**
 * Refuses every key that is neither used by the platform (`used`) nor accepted without effect
 * (`ignored`), naming what is supported, so a field that would change behaviour is never dropped.
 */
export function onlyFields(obj: Json, at: IssueCollector, used: readonly string[], ignored: readonly string[] = []): void {
  const known = new Set([...used, ...ignored]);
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) at.at(key).error(`field "${key}" is not supported by weftctl local (supported here: ${used.join(', ')})`);
  }
}

export function mapping(v: unknown, at: IssueCollector, required = false): Json | undefined {
  if (v === undefined || v === null) {
    if (required) at.error('is required');
    return undefined;
  }
  if (!isObject(v)) {
    at.error(`must be a mapping, got ${typeName(v)}`);
    return undefined;
  }
  return v;
}

export function list(v: unknown, at: IssueCollector, required = false): unknown[] | undefined {
  if (v === undefined || v === null) {
    if (required) at.error('is required');
    return undefined;
  }
  if (!Array.isArray(v)) {
    at.error(`must be a list, got ${typeName(v)}`);
    return undefined;
  }
  return v;
}

export function str(v: unknown, at: IssueCollector, required = false): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) at.error('is required');
    return undefined;
  }
  if (typeof v !== 'string') {
    at.error(`must be a string, got ${typeName(v)}`);
    return undefined;
  }
  return v;
}

export function int(v: unknown, at: IssueCollector, range: { min: number; max: number }, fallback?: number): number | undefined {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    at.error(`must be an integer, got ${typeName(v)}`);
    return undefined;
  }
  if (v < range.min || v > range.max) {
    at.error(`must be between ${range.min} and ${range.max}, got ${v}`);
    return undefined;
  }
  return v;
}

export function port(v: unknown, at: IssueCollector, required = false): number | undefined {
  if (v === undefined || v === null) {
    if (required) at.error('is required');
    return undefined;
  }
  return int(v, at, { min: 1, max: 65535 });
}

/** IntOrString: a port number or the name of a container port. */
export function portOrName(v: unknown, at: IssueCollector): number | string | undefined {
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return port(Number(v), at);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) || v.length > 15) at.error(`must be a port number or a port name (IANA_SVC_NAME), got "${v}"`);
    return v;
  }
  return port(v, at, true);
}

/** A map of string to string (labels, annotations, selectors). */
export function stringMap(v: unknown, at: IssueCollector): Record<string, string> {
  const m = mapping(v, at);
  if (!m) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(m)) {
    if (typeof val !== 'string') at.at(k).error(`must be a string, got ${typeName(val)} (quote it in YAML)`);
    else out[k] = val;
  }
  return out;
}

export function stringList(v: unknown, at: IssueCollector): string[] | undefined {
  const l = list(v, at);
  if (!l) return undefined;
  const out: string[] = [];
  l.forEach((s, i) => {
    if (typeof s !== 'string') at.at(i).error(`must be a string, got ${typeName(s)}`);
    else out.push(s);
  });
  return out;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function dnsLabel(v: string, at: IssueCollector): void {
  if (v.length > 63 || !DNS1123_LABEL.test(v)) at.error(`"${v}" must be a DNS-1123 label (lower case letters, digits and "-", at most 63 characters)`);
}

export function dnsSubdomain(v: string, at: IssueCollector): void {
  if (v.length > 253 || !DNS1123_SUBDOMAIN.test(v)) at.error(`"${v}" must be a DNS-1123 subdomain (lower case letters, digits, "-" and ".")`);
}
