// --templateFile (pure): Istio's bootstrap template is Go text/template; Weft supports the subset
// that is plain substitution — a JSON file with `{{ .name }}` placeholders — and refuses the rest.
import type { WeftError } from '@weft/base';
import { AgentErrors } from '../errors.js';
import { protoDuration, sdsGrpcCluster, statsConfig, xdsGrpcCluster, type BootstrapInputs, type Json } from './bootstrap.js';

/** A placeholder's replacement: `text` goes in JSON-escaped (use it inside quotes); `json` goes in as is. */
type Value = { readonly text: string } | { readonly json: Json };

/** Every placeholder the agent fills, by name (Istio 1.3's names where it had one; `sds_*` are Weft's). */
export function templateValues(inputs: BootstrapInputs): ReadonlyMap<string, Value> {
  const { node, discovery } = inputs;
  return new Map<string, Value>([
    ['nodeID', { text: node.id }],
    ['cluster', { text: node.cluster }],
    ['meta_json_str', { json: node.metadata as Json }],
    ['localhost', { text: '127.0.0.1' }],
    ['wildcard', { text: '0.0.0.0' }],
    ['pilot_grpc_address', { json: { address: discovery.host, port_value: discovery.port } }],
    ['pilot_address', { text: `${discovery.host}:${discovery.port}` }],
    ['connect_timeout', { json: protoDuration(inputs.connectTimeoutMs) }],
    ['dns_refresh_rate', { json: protoDuration(inputs.dnsRefreshRateMs) }],
    ['config.ProxyAdminPort', { json: inputs.proxyAdminPort }],
    ['prometheus_port', { json: inputs.prometheusPort }],
    ['stats_config', { json: statsConfig(node.metadata) }],
    ['xds_grpc_cluster', { json: xdsGrpcCluster(inputs) }],
    ['sds_grpc_cluster', { json: sdsGrpcCluster(inputs.sdsSocketPath) }],
    ['sds_socket_path', { text: inputs.sdsSocketPath }],
  ]);
}

const ACTION = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g;
const PLACEHOLDER = /^\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)$/;

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Renders the template: each `{{ .name }}` becomes its value; any other action (`if`, `range`,
 * pipelines, trim markers `{{-`) is refused. The result must be a JSON object; weft-proxy then
 * validates it as a Bootstrap when it starts.
 */
export function renderTemplate(source: string, text: string, values: ReadonlyMap<string, Value>): { bootstrap?: { [key: string]: Json }; errors: WeftError[] } {
  const errors: WeftError[] = [];
  const out = text.replace(ACTION, (whole, trimLeft: string, body: string, trimRight: string, index: number) => {
    const m = PLACEHOLDER.exec(body);
    if (trimLeft || trimRight || !m) {
      errors.push(AgentErrors.PROXY_TEMPLATE_UNSUPPORTED([source, lineOf(text, index), whole]));
      return whole;
    }
    const name = m[1] as string;
    const v = values.get(name);
    if (!v) {
      errors.push(AgentErrors.PROXY_TEMPLATE_PLACEHOLDER([source, lineOf(text, index), name, [...values.keys()].join(', ')]));
      return whole;
    }
    return 'text' in v ? JSON.stringify(v.text).slice(1, -1) : JSON.stringify(v.json);
  });
  if (errors.length > 0) return { errors };
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch (e) {
    return { errors: [AgentErrors.PROXY_TEMPLATE_JSON([source, (e as Error).message])] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { errors: [AgentErrors.PROXY_TEMPLATE_JSON([source, 'the top level is not an object'])] };
  return { bootstrap: parsed as { [key: string]: Json }, errors };
}
