// Table-driven checks of the envelope: kinds, API versions, metadata, YAML errors and multi-document files.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKind } from './envelope.js';
import { validateConfig, validateConfigYaml } from './validate.js';

type Expected = readonly (readonly [path: string, message: string])[];
interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly errors?: Expected;
  readonly warnings?: Expected;
}

const route = `spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n`;

const CASES: readonly Case[] = [
  {
    name: 'accepts VirtualService at v1alpha3, v1beta1 and v1',
    yaml: ['v1alpha3', 'v1beta1', 'v1']
      .map((v) => `apiVersion: networking.istio.io/${v}\nkind: VirtualService\nmetadata: {name: r-${v}}\n${route}`)
      .join('---\n'),
  },
  {
    name: 'rejects a networking version that does not serve the kind',
    yaml: `apiVersion: networking.istio.io/v1alpha2\nkind: VirtualService\nmetadata: {name: r}\n${route}---
apiVersion: networking.istio.io/v1
kind: EnvoyFilter
metadata: {name: ef}
spec: {}
`,
    errors: [
      ['apiVersion', 'VirtualService is not served at networking.istio.io/v1alpha2'],
      ['apiVersion', 'supported versions: networking.istio.io/v1alpha3'],
    ],
  },
  {
    name: 'rejects unknown kinds in Istio groups, with a hint',
    yaml: `apiVersion: networking.istio.io/v1alpha3\nkind: Virtualservice\nmetadata: {name: r}\n${route}---
apiVersion: security.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: r}\n${route}`,
    errors: [
      ['kind', 'did you mean VirtualService?'],
      ['kind', 'VirtualService is in group networking.istio.io'],
    ],
  },
  {
    name: 'rejects unknown istio.io groups but only notes other groups',
    yaml: `apiVersion: network.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: r}\n${route}---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec: {replicas: 1}
`,
    errors: [['apiVersion', 'network.istio.io/v1alpha3 VirtualService is not an Istio config kind']],
    warnings: [['', 'apps/v1 Deployment is not an Istio config kind; not validated']],
  },
  {
    name: 'requires apiVersion and kind, and a mapping document',
    yaml: `metadata: {name: r}\n---\n- a\n- b\n`,
    errors: [
      ['apiVersion', 'apiVersion is required'],
      ['kind', 'kind is required'],
      ['', 'a config object must be a mapping, got list'],
    ],
  },
  {
    name: 'rejects unknown top-level fields (e.g. a misspelled spec)',
    yaml: `apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: r}\nspecs: {host: reviews}\n`,
    errors: [
      // spec is absent, so its issues are placed at the document's first line.
      ['spec.host', 'host is required'],
      ['specs', 'unknown field "specs"'],
    ],
  },
  {
    name: 'checks metadata: name required, namespace syntax, label keys, unknown metadata fields',
    yaml: `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  namespace: My_NS
  labels: {"app.kubernetes.io/name": reviews, "bad key": x}
  annotations: {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
  owner: me
spec: {host: reviews}
`,
    errors: [
      ['metadata.name', 'name is required'],
      ['metadata.namespace', 'namespace "My_NS" must be a DNS-1123 label'],
      ['metadata.labels["bad key"]', 'invalid label key "bad key"'],
      ['metadata.owner', 'unknown field "owner" in ObjectMeta'],
    ],
  },
  {
    name: 'accepts generateName instead of name, and a status block',
    yaml: `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {generateName: reviews-}
spec: {host: reviews}
status: {conditions: []}
`,
  },
  {
    name: 'reports YAML syntax errors with their document and keeps validating the others',
    yaml: `apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata: {name: ok}\n${route}---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: broken
spec: {host: reviews}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: bad}
spec: {host: "re views"}
`,
    errors: [
      ['', 'YAML syntax error'],
      ['spec.host', 'label "re views" is not valid'],
    ],
  },
  {
    name: 'rejects duplicate keys as YAML errors',
    yaml: `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: r}
spec:
  host: reviews
  host: ratings
`,
    errors: [['', 'Map keys must be unique']],
  },
  {
    name: 'warns about the same object defined twice in one file',
    yaml: `apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: reviews}
---
apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: reviews}
`,
    warnings: [['metadata.name', 'duplicate object: document 0 defines the same DestinationRule']],
  },
  {
    name: 'skips empty documents and comments between separators',
    yaml: `---\n# nothing here\n---\napiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: reviews}\n---\n`,
  },
  {
    name: 'validates the items of a kubectl List, with item paths',
    yaml: `apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1alpha3
  kind: DestinationRule
  metadata: {name: ok}
  spec: {host: reviews}
- apiVersion: networking.istio.io/v1alpha3
  kind: DestinationRule
  metadata: {name: bad}
  spec: {host: "", subsets: [{name: v1}, {name: v1}]}
`,
    errors: [
      ['items[1].spec.host', 'host is required'],
      ['items[1].spec.subsets[1].name', 'duplicate subset name "v1"'],
    ],
  },
  {
    name: 'keeps EnvoyFilter opaque but requires an object spec',
    yaml: `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ef}
spec:
  workloadSelector: {labels: {app: reviews}}
  configPatches: [{applyTo: HTTP_FILTER, patch: {operation: INSERT_BEFORE, value: {name: x}}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ef2}
spec: "not an object"
`,
    errors: [['spec', 'spec must be an object, got string']],
  },
  {
    name: 'refuses a document nested more than 100 levels as too deep (not a stack overflow "syntax error")',
    yaml: `apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ef}
spec:
  configPatches: [{applyTo: HTTP_FILTER, patch: {operation: MERGE, value: ${'['.repeat(1000)}${']'.repeat(1000)}}}]
`,
    errors: [['', 'YAML nested too deeply: more than 100 levels of mappings and sequences']],
  },
];

describe('envelope, kind table and multi-document validation', () => {
  it.each(CASES)('$name', ({ yaml, errors = [], warnings }) => {
    const result = validateConfigYaml(yaml, 'case.yaml');
    expect(result.errors.map((e) => [e.path, e.message])).toEqual(errors.map(([p, m]) => [p, expect.stringContaining(m)]));
    if (warnings !== undefined) {
      expect(result.warnings.map((w) => [w.path, w.message])).toEqual(warnings.map(([p, m]) => [p, expect.stringContaining(m)]));
    }
  });

  it('locates issues: source, document index, line, kind and name', () => {
    const yaml = `# leading comment\n---\napiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: reviews\n  subsets:\n  - name: v_1\n`;
    const [error] = validateConfigYaml(yaml, 'rules.yaml').errors;
    // The comment before the first separator belongs to document 0.
    expect(error).toEqual({ source: 'rules.yaml', document: 0, line: 9, kind: 'DestinationRule', name: 'r', path: 'spec.subsets[0].name', message: expect.stringContaining('"v_1"') });
  });

  it('validates plain objects without YAML and returns the typed config', () => {
    const result = validateConfig({ apiVersion: 'networking.istio.io/v1beta1', kind: 'Gateway', metadata: { name: 'gw' }, spec: { servers: [{ port: { number: '80', name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } });
    expect(result.errors).toEqual([]);
    const config = result.config;
    expect(config !== undefined && isKind(config, 'Gateway') ? config.spec.servers?.[0]?.port?.number : undefined).toBe(80);
  });
});

describe('sample files for weftctl validate', () => {
  const read = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

  it('valid.yaml (Bookinfo gateway, routes, rules, service entry) has no errors or warnings', () => {
    const result = validateConfigYaml(read('valid.yaml'), 'valid.yaml');
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.configs.map((c) => `${c.kind}/${c.metadata.name}`)).toEqual([
      'Gateway/bookinfo-gateway',
      'VirtualService/bookinfo',
      'VirtualService/reviews',
      'DestinationRule/reviews',
      'ServiceEntry/googleapis',
    ]);
  });

  it('invalid.yaml reports every error in every document, with lines', () => {
    const result = validateConfigYaml(read('invalid.yaml'), 'invalid.yaml');
    expect(result.errors.map((e) => `${e.document}:${e.line} ${e.kind}/${e.name} ${e.path}`)).toEqual([
      '0:10 VirtualService/reviews spec.http[0].route',
      '0:21 VirtualService/reviews spec.http[0].fault.abort.httpStatus',
      '0:22 VirtualService/reviews spec.http[0].timeot',
      '1:34 DestinationRule/reviews spec.subsets[1].name',
      '2:41 Gateway/bookinfo.gateway metadata.name',
      '2:50 Gateway/bookinfo.gateway spec.servers[0].tls.serverCertificate',
      '2:50 Gateway/bookinfo.gateway spec.servers[0].tls.privateKey',
      '3:66 ServiceEntry/static-db spec.endpoints[0].address',
    ]);
    expect(result.configs).toEqual([]);
  });
});
