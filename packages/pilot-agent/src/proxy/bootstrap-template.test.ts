import { describe, expect, it } from 'vitest';
import { buildBootstrap, type BootstrapInputs } from './bootstrap.js';
import { renderTemplate, templateValues } from './bootstrap-template.js';

const INPUTS: BootstrapInputs = {
  node: { id: 'router~10.0.0.5~gw-1.istio-system~istio-system.svc.cluster.local', ip: '10.0.0.5', cluster: 'istio-ingressgateway', metadata: { LABELS: { istio: 'ingressgateway' }, NOTE: 'a "quoted" value' } },
  discovery: { host: 'istio-pilot', port: 15010 },
  proxyAdminPort: 15000,
  prometheusPort: 15090,
  connectTimeoutMs: 1000,
  dnsRefreshRateMs: 300_000,
  sdsSocketPath: '/var/run/secrets/workload-spiffe-uds/socket',
};
const builtCluster = (name: string) => (buildBootstrap(INPUTS)['static_resources'] as { clusters: Array<{ name: string }> }).clusters.find((c) => c.name === name);
const values = templateValues(INPUTS);

describe('renderTemplate', () => {
  it('fills {{ .name }} placeholders: text escaped inside quotes, JSON as is', () => {
    const text = `{
  "node": { "id": "{{ .nodeID }}", "cluster": "{{.cluster}}", "metadata": {{ .meta_json_str }} },
  "admin": { "address": { "socket_address": { "address": "{{ .localhost }}", "port_value": {{ .config.ProxyAdminPort }} } } },
  "static_resources": { "clusters": [ {{ .xds_grpc_cluster }}, {{ .sds_grpc_cluster }} ] },
  "dynamic_resources": { "ads_config": { "api_type": "GRPC", "grpc_services": [ { "envoy_grpc": { "cluster_name": "xds-grpc" } } ] } },
  "x": { "addr": {{ .pilot_grpc_address }}, "t": {{ .connect_timeout }}, "p": "{{ .pilot_address }}", "sds": "{{ .sds_socket_path }}" }
}`;
    const { bootstrap, errors } = renderTemplate('t.json', text, values);
    expect(errors).toEqual([]);
    expect(bootstrap?.['node']).toEqual({ id: INPUTS.node.id, cluster: 'istio-ingressgateway', metadata: INPUTS.node.metadata });
    expect(bootstrap?.['admin']).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 15000 } } });
    expect(bootstrap?.['x']).toEqual({ addr: { address: 'istio-pilot', port_value: 15010 }, t: '1s', p: 'istio-pilot:15010', sds: '/var/run/secrets/workload-spiffe-uds/socket' });
    const clusters = (bootstrap?.['static_resources'] as { clusters: unknown[] }).clusters;
    expect(clusters[0]).toEqual(builtCluster('xds-grpc'));
    expect(clusters[1]).toEqual(builtCluster('sds-grpc'));
  });

  it.each([
    ['{{ if .zipkin }}', 'WEFT_AGENT_PROXY_TEMPLATE_UNSUPPORTED', /line 2: \{\{ if \.zipkin \}\} is not supported/],
    ['{{- .nodeID }}', 'WEFT_AGENT_PROXY_TEMPLATE_UNSUPPORTED', /trim|not supported/],
    ['{{ .nodeID | printf "%q" }}', 'WEFT_AGENT_PROXY_TEMPLATE_UNSUPPORTED', /not supported/],
    ['{{ .zipkin }}', 'WEFT_AGENT_PROXY_TEMPLATE_PLACEHOLDER', /line 2: unknown placeholder \{\{ \.zipkin \}\} \(known: nodeID, cluster/],
  ])('refuses %s', (action, code, message) => {
    const { bootstrap, errors } = renderTemplate('t.json', `{\n "a": "${action}"\n}`, values);
    expect(bootstrap).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual([code]);
    expect(errors[0]?.message).toMatch(message);
  });

  it('refuses a result that is not a JSON object', () => {
    expect(renderTemplate('t.json', '{ "a": {{ .nodeID }} }', values).errors.map((e) => e.code)).toEqual(['WEFT_AGENT_PROXY_TEMPLATE_JSON']);
    expect(renderTemplate('t.json', '[1]', values).errors[0]?.message).toMatch(/top level is not an object/);
  });
});
