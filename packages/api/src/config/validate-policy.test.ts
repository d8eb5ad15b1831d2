// Table-driven validation of security.istio.io, authentication.istio.io, rbac.istio.io and Mixer kinds.
import { describe, expect, it } from 'vitest';
import { validateConfigYaml } from './validate.js';

type Expected = readonly (readonly [path: string, message: string])[];
interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly errors?: Expected;
  readonly warnings?: Expected;
}

const head = (apiVersion: string, kind: string, name: string, namespace = 'default'): string =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n${namespace === '' ? '' : `  namespace: ${namespace}\n`}spec:\n`;
const sec = (kind: string, name = 'p'): string => head('security.istio.io/v1beta1', kind, name);
const authn = (kind: string, name: string, namespace = 'default'): string => head('authentication.istio.io/v1alpha1', kind, name, namespace);
const rbac = (kind: string, name: string, namespace = 'default'): string => head('rbac.istio.io/v1alpha1', kind, name, namespace);
const mixer = (kind: string, name: string): string => head('config.istio.io/v1alpha2', kind, name, 'istio-system');

const CASES: readonly Case[] = [
  {
    name: 'PeerAuthentication: accepts namespace-wide STRICT and per-port overrides with a selector',
    yaml: `${sec('PeerAuthentication', 'default')}  mtls: {mode: STRICT}
---
${sec('PeerAuthentication', 'ratings')}  selector: {matchLabels: {app: ratings}}
  mtls: {mode: PERMISSIVE}
  portLevelMtls:
    "8080": {mode: DISABLE}
`,
  },
  {
    name: 'PeerAuthentication: rejects unknown modes, port-level settings without selector, bad ports',
    yaml: `${sec('PeerAuthentication')}  mtls: {mode: strict}
  portLevelMtls:
    http: {mode: DISABLE}
`,
    errors: [
      ['spec.mtls.mode', 'invalid value "strict"; expected one of UNSET, DISABLE, PERMISSIVE, STRICT'],
      ['spec.portLevelMtls', 'portLevelMtls requires a selector'],
      ['spec.portLevelMtls["http"]', '"http" is not a port number'],
    ],
  },
  {
    name: 'RequestAuthentication: requires issuers, valid jwksUri, unique issuers',
    yaml: `${sec('RequestAuthentication')}  selector: {matchLabels: {app: productpage}}
  jwtRules:
  - jwksUri: ftp://keys.example.com/jwks.json
  - issuer: https://accounts.example.com
    audiences: [""]
    fromHeaders: [{prefix: "Bearer "}]
  - issuer: https://accounts.example.com
    jwksUri: https://accounts.example.com/jwks
`,
    errors: [
      ['spec.jwtRules[0].issuer', 'issuer is required'],
      ['spec.jwtRules[0].jwksUri', 'jwksUri scheme "ftp" is not supported'],
      ['spec.jwtRules[1].audiences[0]', 'audience must be a non-empty string'],
      ['spec.jwtRules[1].fromHeaders[0].name', 'header name is required'],
      ['spec.jwtRules[2].issuer', 'issuer "https://accounts.example.com" is already used by jwtRules[1]'],
    ],
  },
  {
    name: 'AuthorizationPolicy: accepts ALLOW rules with from/to/when',
    yaml: `${sec('AuthorizationPolicy', 'reviews-viewer')}  selector: {matchLabels: {app: reviews}}
  action: ALLOW
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/default/sa/bookinfo-productpage"], ipBlocks: [10.0.0.0/8]}
    to:
    - operation: {methods: [GET], paths: ["/reviews/*"], ports: ["9080"]}
    when:
    - key: request.headers[version]
      values: [v1, v2]
    - key: source.ip
      notValues: [10.1.2.3]
`,
  },
  {
    name: 'AuthorizationPolicy: rejects unknown actions and DENY without rules',
    yaml: `${sec('AuthorizationPolicy', 'a')}  action: AUDIT
---
${sec('AuthorizationPolicy', 'b')}  action: DENY
`,
    errors: [
      ['spec.action', 'invalid value "AUDIT"; expected one of ALLOW, DENY'],
      ['spec.rules', 'a DENY policy without rules has no effect'],
    ],
  },
  {
    name: 'AuthorizationPolicy: checks from/to/when shapes, condition keys, ports and IPs',
    yaml: `${sec('AuthorizationPolicy')}  selector: {matchLabels: {app: "*"}}
  rules:
  - from: []
    to:
    - operation: {ports: ["http"]}
    - {}
    when:
    - key: request.header[x]
      values: [a]
    - key: source.ip
      values: [not-an-ip]
    - key: source.namespace
  - from:
    - source: {}
`,
    errors: [
      ['spec.selector.matchLabels["app"]', 'wildcard is not supported in selector'],
      ['spec.rules[0].from', 'from must not be an empty list'],
      ['spec.rules[0].to[0].operation.ports[0]', '"http" is not a port number'],
      ['spec.rules[0].to[1].operation', 'operation is required'],
      ['spec.rules[0].when[0].key', 'unknown condition key "request.header[x]"'],
      ['spec.rules[0].when[1].values[0]', '"not-an-ip" is not a valid IP address'],
      ['spec.rules[0].when[2]', 'values or notValues is required'],
      ['spec.rules[1].from[0].source', 'source must set at least one field'],
    ],
  },
  {
    name: 'Policy: accepts the namespace default with mTLS, with a deprecation warning',
    yaml: `${authn('Policy', 'default')}  peers:
  - mtls: {}
`,
    warnings: [['kind', 'authentication.istio.io/v1alpha1 was replaced']],
  },
  {
    name: 'Policy: a policy without targets must be named default; default must not have targets',
    yaml: `${authn('Policy', 'ns-wide')}  peers:
  - mtls: {mode: PERMISSIVE}
---
${authn('Policy', 'default')}  targets:
  - name: reviews
    ports: [{number: 9080}, {}]
`,
    errors: [
      ['metadata.name', 'a policy without targets must be named "default"'],
      ['spec.targets', 'the policy named "default" must not have targets'],
      ['spec.targets[0].ports[1]', 'a port selector needs number or name'],
    ],
  },
  {
    name: 'Policy: checks JWT origins, duplicate issuers, trigger rule regexes and enums',
    yaml: `${authn('Policy', 'jwt')}  targets: [{name: productpage.default}]
  peers:
  - mtls: {mode: STRICTER}
  origins:
  - jwt:
      issuer: testing@secure.istio.io
      jwksUri: not a url
      triggerRules:
      - excludedPaths: [{regex: "^/health(?!z)"}, {}]
  - jwt: {issuer: testing@secure.istio.io}
  principalBinding: USE_ORIGIN
`,
    errors: [
      ['spec.targets[0].name', 'must be a service short name'],
      ['spec.peers[0].mtls.mode', 'invalid value "STRICTER"'],
      ['spec.origins[0].jwt.jwksUri', 'is not a valid URL'],
      ['spec.origins[0].jwt.triggerRules[0].excludedPaths[0].regex', 'is not a valid RE2 regular expression'],
      ['spec.origins[0].jwt.triggerRules[0].excludedPaths[1]', 'one of exact, prefix, suffix or regex is required'],
      ['spec.origins[1].jwt.issuer', 'is already used by spec.origins[0].jwt'],
    ],
  },
  {
    name: 'MeshPolicy: must be named default; a namespace is ignored',
    yaml: `${authn('MeshPolicy', 'mesh', 'istio-system')}  peers: [{mtls: {}}]
`,
    errors: [['metadata.name', 'a MeshPolicy must be named "default"']],
    warnings: [
      ['kind', 'authentication.istio.io/v1alpha1 was replaced'],
      ['metadata.namespace', 'MeshPolicy is cluster-scoped; namespace is ignored'],
    ],
  },
  {
    name: 'ClusterRbacConfig: accepts quoted ON; must be named default; inclusion required',
    yaml: `${rbac('ClusterRbacConfig', 'default', '')}  mode: 'ON'
---
${rbac('ClusterRbacConfig', 'rbac', '')}  mode: ON_WITH_INCLUSION
`,
    errors: [
      ['metadata.name', 'ClusterRbacConfig must be named "default"'],
      ['spec.inclusion', 'mode ON_WITH_INCLUSION requires inclusion'],
    ],
  },
  {
    name: 'ClusterRbacConfig: unquoted ON is a YAML 1.1 boolean, as kubectl reads it',
    yaml: `${rbac('ClusterRbacConfig', 'default', '')}  mode: ON
`,
    errors: [['spec.mode', 'quote the value']],
  },
  {
    name: 'RbacConfig: deprecated in favour of ClusterRbacConfig',
    yaml: `${rbac('RbacConfig', 'default', '')}  mode: 'OFF'
`,
    warnings: [['kind', 'use ClusterRbacConfig']],
  },
  {
    name: 'ServiceRole: needs rules with services; checks ports and constraints',
    yaml: `${rbac('ServiceRole', 'viewer')}  rules:
  - methods: [GET]
    notMethods: [POST]
    ports: [0]
    constraints:
    - key: destination.port
      values: []
    - key: destination.labels[app]
      values: [reviews]
---
${rbac('ServiceRole', 'empty')}  rules: []
`,
    errors: [
      ['spec.rules[0].services', 'at least one service is required'],
      ['spec.rules[0].notMethods', 'methods and notMethods cannot both be set'],
      ['spec.rules[0].ports[0]', 'port number 0 must be in the range 1..65535'],
      ['spec.rules[0].constraints[0].key', 'destination.port cannot be constrained when ports or notPorts is set'],
      ['spec.rules[0].constraints[0].values', 'at least one value is required'],
      ['spec.rules', 'at least one rule is required'],
    ],
  },
  {
    name: 'ServiceRoleBinding: accepts user "*" bound to a ServiceRole',
    yaml: `${rbac('ServiceRoleBinding', 'bind-viewer')}  subjects:
  - user: "*"
  - properties: {source.namespace: istio-system}
  roleRef: {kind: ServiceRole, name: viewer}
`,
  },
  {
    name: 'ServiceRoleBinding: checks subjects, roleRef and exclusive role forms',
    yaml: `${rbac('ServiceRoleBinding', 'b')}  subjects:
  - {}
  - names: ["*"]
    properties: {source.principal: x}
  roleRef: {kind: Role, name: ""}
  role: viewer
`,
    errors: [
      ['spec', 'exactly one of roleRef, role or actions is required'],
      ['spec.subjects[0]', 'a subject must set at least one field'],
      ['spec.subjects[1].names[0]', '"*" is not allowed in names'],
      ['spec.subjects[1].properties["source.principal"]', 'source.principal duplicates the names field'],
      ['spec.roleRef.kind', 'kind must be "ServiceRole", found "Role"'],
      ['spec.roleRef.name', 'name is required'],
    ],
  },
  {
    name: 'rule: accepts a denier rule with a CEXL match and legacy name.kind references',
    yaml: `${mixer('rule', 'denyreviewsv3')}  match: destination.labels["app"] == "ratings" && source.labels["version"] == "v3"
  actions:
  - handler: denyreviewsv3handler.denier
    instances: [denyreviewsv3request.checknothing]
`,
  },
  {
    name: 'rule: rejects bad match expressions, unknown functions and bad references',
    yaml: `${mixer('rule', 'r')}  match: request.headers["x"] = "y"
  actions:
  - handler: "handler..istio-system"
  - handler: h
    instances: [Bad_Instance]
    name: a1
  - handler: h
    instances: [i]
    name: a1
  responseHeaderOperations:
  - name: x-checked
  sampling:
    random:
      attributeExpression: lookup(x)
      percentSampled: {numerator: 200, denominator: HUNDRED}
`,
    errors: [
      ['spec.match', 'unexpected character "="'],
      ['spec.actions[0].handler', 'invalid handler reference "handler..istio-system"'],
      ['spec.actions[0].instances', 'an action needs at least one instance'],
      ['spec.actions[1].instances[0]', 'invalid instance reference "Bad_Instance"'],
      ['spec.actions[2].name', 'action name "a1" is already used by actions[1]'],
      ['spec.responseHeaderOperations[0].values', 'operation REPLACE needs at least one value'],
      ['spec.sampling.random.attributeExpression', 'unknown function "lookup"'],
      ['spec.sampling.random.percentSampled.numerator', 'numerator 200 exceeds the denominator 100'],
    ],
  },
  {
    name: 'handler and instance: need an adapter/template; out-of-process handlers need an address',
    yaml: `${mixer('handler', 'h1')}  params: {}
---
${mixer('handler', 'h2')}  adapter: mygrpcadapter
---
${mixer('instance', 'i1')}  compiledTemplate: metric
  params: {value: "1"}
---
${mixer('instance', 'i2')}  params: {}
  attributeBindings: {source.ip: sourceIp}
`,
    errors: [
      ['spec', 'one of compiledAdapter or adapter is required'],
      ['spec.connection.address', 'needs connection.address'],
      ['spec', 'one of compiledTemplate or template is required'],
      ['spec.attributeBindings["source.ip"]', 'must refer to a template output'],
    ],
  },
  {
    name: 'attributemanifest: every attribute needs a value type',
    yaml: `${mixer('attributemanifest', 'istioproxy')}  attributes:
    source.ip: {valueType: IP_ADDRESS}
    request.size: {description: bytes}
`,
    errors: [['spec.attributes["request.size"].valueType', 'valueType is required']],
  },
  {
    name: 'legacy Mixer kinds are accepted as opaque specs with a warning',
    yaml: `${mixer('denier', 'denyall')}  status: {code: 7, message: Not allowed}
---
${mixer('listentry', 'appversion')}  value: source.labels["version"]
`,
    warnings: [
      ['kind', 'legacy Mixer kind "denier"'],
      ['kind', 'legacy Mixer kind "listentry"'],
    ],
  },
  {
    name: 'opaque specs must still be objects',
    yaml: `${mixer('prometheus', 'handler')}  - metrics
`,
    errors: [['spec', 'spec must be an object, got list']],
  },
];

describe('security, authentication, RBAC and Mixer validation', () => {
  it.each(CASES)('$name', ({ yaml, errors = [], warnings }) => {
    const result = validateConfigYaml(yaml, 'case.yaml');
    expect(result.errors.map((e) => [e.path, e.message])).toEqual(errors.map(([p, m]) => [p, expect.stringContaining(m)]));
    if (warnings !== undefined) {
      expect(result.warnings.map((w) => [w.path, w.message])).toEqual(warnings.map(([p, m]) => [p, expect.stringContaining(m)]));
    }
  });
});
