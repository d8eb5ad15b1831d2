// The proxy's xDS node (pure): ID `<role>~<ip>~<pod>.<namespace>~<domain>` and the metadata Pilot reads,
// from the pod's environment as Istio 1.3's injector sets it (POD_*, INSTANCE_IP, ISTIO_META_*, ISTIO_METAJSON_*).
import { isIP } from 'node:net';
import type { WeftError } from '@weft/base';
import { AgentErrors } from '../errors.js';

export type ProxyRole = 'sidecar' | 'router';
export const PROXY_ROLES: readonly ProxyRole[] = ['sidecar', 'router'];

/** A value of node metadata: Istio's ISTIO_META_* are strings, ISTIO_METAJSON_* JSON objects. */
export type MetadataValue = string | { readonly [key: string]: unknown };

export interface NodeIdentity {
  readonly id: string;
  /** The pod IP the ID carries (INSTANCE_IP). */
  readonly ip: string;
  readonly cluster: string;
  readonly metadata: Readonly<Record<string, MetadataValue>>;
}

export interface NodeInputs {
  readonly role: ProxyRole;
  readonly serviceCluster: string;
  /** --domain, or undefined for `${POD_NAMESPACE}.svc.cluster.local`. */
  readonly domain?: string;
  /** --id, or undefined for `${POD_NAME}.${POD_NAMESPACE}`. */
  readonly id?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Used when INSTANCE_IP is unset, as Istio falls back to the host's private IPs. */
  readonly fallbackIp: string;
  /** Node metadata ISTIO_VERSION unless ISTIO_META_ISTIO_VERSION says otherwise. */
  readonly istioVersion: string;
  readonly proxySha: string;
}

const META = 'ISTIO_META_';
const META_JSON = 'ISTIO_METAJSON_';

/** The domain the node ID ends with: --domain, else `${POD_NAMESPACE}.svc.cluster.local`. */
export function nodeDomain(domain: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (domain) return domain;
  const ns = env['POD_NAMESPACE'];
  return ns ? `${ns}.svc.cluster.local` : undefined;
}

/**
 * Builds the node, collecting every problem. Metadata precedence: the agent's defaults, then
 * ISTIO_META_* and ISTIO_METAJSON_* from the environment (the environment wins, as in Istio).
 */
export function buildNodeIdentity(input: NodeInputs): { node?: NodeIdentity; errors: WeftError[] } {
  const { env } = input;
  const errors: WeftError[] = [];
  const podName = env['POD_NAME'] ?? '';
  const namespace = env['POD_NAMESPACE'] ?? '';
  const missing = [...(!input.id && !podName ? ['POD_NAME'] : []), ...(!input.id && !namespace ? ['POD_NAMESPACE'] : [])];
  if (missing.length > 0) errors.push(AgentErrors.PROXY_IDENTITY([`${missing.join(' and ')} must be set (or give --id <pod>.<namespace>)`]));
  const domain = nodeDomain(input.domain, env);
  if (!domain) errors.push(AgentErrors.PROXY_IDENTITY(['POD_NAMESPACE must be set (or give --domain)']));
  const ip = env['INSTANCE_IP'] || input.fallbackIp;
  if (env['INSTANCE_IP'] && isIP(env['INSTANCE_IP']) === 0) errors.push(AgentErrors.PROXY_BAD_ENV(['INSTANCE_IP', `"${env['INSTANCE_IP']}" is not an IP address`]));
  const fromEnv: Record<string, MetadataValue> = {};
  for (const [key, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (value === undefined) continue;
    if (key.startsWith(META_JSON) && key.length > META_JSON.length) {
      const parsed = parseJsonObject(value);
      if (typeof parsed === 'string') errors.push(AgentErrors.PROXY_BAD_ENV([key, parsed]));
      else fromEnv[key.slice(META_JSON.length)] = parsed;
    } else if (key.startsWith(META) && key.length > META.length) {
      fromEnv[key.slice(META.length)] = value;
    }
  }
  if (errors.length > 0) return { errors };
  const defaults: Record<string, MetadataValue> = {
    NAMESPACE: namespace,
    CONFIG_NAMESPACE: namespace,
    POD_NAME: podName,
    INSTANCE_IPS: ip,
    INTERCEPTION_MODE: input.role === 'router' ? 'NONE' : 'REDIRECT',
    ISTIO_VERSION: input.istioVersion,
    ISTIO_PROXY_SHA: input.proxySha,
    CLUSTER_ID: 'Kubernetes',
    LABELS: {},
    ...(env['SERVICE_ACCOUNT'] ? { SERVICE_ACCOUNT: env['SERVICE_ACCOUNT'] } : {}),
  };
  const id = input.id || `${podName}.${namespace}`;
  return {
    node: { id: `${input.role}~${ip}~${id}~${domain}`, ip, cluster: input.serviceCluster, metadata: { ...defaults, ...fromEnv } },
    errors,
  };
}

function parseJsonObject(text: string): { [key: string]: unknown } | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as { [key: string]: unknown }) : 'must be a JSON object';
}
