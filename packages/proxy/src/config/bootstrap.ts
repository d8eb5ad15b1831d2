// Reads an Envoy v3 Bootstrap (JSON or YAML, proto3 JSON mapping: lowerCamelCase or proto names,
// `@type` Any, "1s" durations) into the decoded form, collecting every problem with its path.
import { readFile } from 'node:fs/promises';
import type { Bootstrap__Output, ProtoRegistry } from '@weft/api';
import { err, IssueCollector, ok, type Issue, type Result, type WeftError } from '@weft/base';
import { parse as parseYaml } from 'yaml';
import { ProxyErrors } from '../errors.js';
import { compileSecret, type SecretInput } from '../sds/secret.js';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

/** Semantic checks Envoy makes at startup that the schema alone does not. */
function check(b: Bootstrap__Output): Issue[] {
  const issues: Issue[] = [];
  const clusters = new Set<string>();
  (b.static_resources?.clusters ?? []).forEach((c, i) => {
    if (!c.name) issues.push({ path: `static_resources.clusters[${i}].name`, message: 'a cluster needs a name' });
    else if (clusters.has(c.name)) issues.push({ path: `static_resources.clusters[${i}].name`, message: `duplicate cluster name "${c.name}"` });
    clusters.add(c.name);
  });
  const listeners = new Set<string>();
  (b.static_resources?.listeners ?? []).forEach((l, i) => {
    if (!l.name) issues.push({ path: `static_resources.listeners[${i}].name`, message: 'a listener needs a name' });
    else if (listeners.has(l.name)) issues.push({ path: `static_resources.listeners[${i}].name`, message: `duplicate listener name "${l.name}"` });
    listeners.add(l.name);
    if (!l.address?.socket_address) issues.push({ path: `static_resources.listeners[${i}].address`, message: 'a static listener needs a socket_address' });
  });
  // Static secrets (SdsSecretConfig without sds_config names them): unique names, material that loads.
  const secrets = new Set<string>();
  const secretIssues = new IssueCollector('static_resources');
  (b.static_resources?.secrets ?? []).forEach((s, i) => {
    const at = secretIssues.at('secrets', i);
    if (s.name && secrets.has(s.name)) at.at('name').error(`duplicate secret name "${s.name}"`);
    secrets.add(s.name);
    compileSecret(s as unknown as SecretInput, at);
  });
  issues.push(...secretIssues.errors);
  const ads = b.dynamic_resources?.ads_config;
  if (ads) {
    const services = ads.grpc_services ?? [];
    if (ads.api_type !== 'GRPC' && ads.api_type !== 'DELTA_GRPC') issues.push({ path: 'dynamic_resources.ads_config.api_type', message: `ADS needs api_type GRPC or DELTA_GRPC, got ${ads.api_type}` });
    if (services.length !== 1) issues.push({ path: 'dynamic_resources.ads_config.grpc_services', message: 'ADS needs exactly one grpc_service' });
    services.forEach((s, i) => {
      const name = s.envoy_grpc?.cluster_name;
      if (!name) issues.push({ path: `dynamic_resources.ads_config.grpc_services[${i}].envoy_grpc.cluster_name`, message: 'only envoy_grpc to a static cluster is supported' });
      else if (!clusters.has(name)) issues.push({ path: `dynamic_resources.ads_config.grpc_services[${i}].envoy_grpc.cluster_name`, message: `unknown static cluster "${name}"` });
    });
  }
  return issues;
}

export function parseBootstrap(registry: ProtoRegistry, text: string, source: string): Result<Bootstrap__Output, WeftError> {
  let json: unknown;
  try {
    json = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    return err(ProxyErrors.BOOTSTRAP_SYNTAX([source, (e as Error).message], e));
  }
  const read = registry.readJson(BOOTSTRAP, json ?? {});
  const issues: Issue[] = [...read.issues];
  let bootstrap: Bootstrap__Output | undefined;
  if (read.value) {
    bootstrap = registry.decode<Bootstrap__Output>(BOOTSTRAP, registry.encode(BOOTSTRAP, read.value));
    issues.push(...check(bootstrap));
  }
  if (issues.length > 0 || !bootstrap) {
    return err(ProxyErrors.BOOTSTRAP_INVALID([source, issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')]));
  }
  return ok(bootstrap);
}

export async function loadBootstrap(registry: ProtoRegistry, path: string): Promise<Result<Bootstrap__Output, WeftError>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return err(ProxyErrors.BOOTSTRAP_READ([path, (e as NodeJS.ErrnoException).code ?? (e as Error).message], e));
  }
  return parseBootstrap(registry, text, path);
}
