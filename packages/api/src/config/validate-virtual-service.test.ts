// Table-driven VirtualService validation: each case lists the exact [path, message fragment] errors expected.
import { describe, expect, it } from 'vitest';
import { validateConfigYaml } from './validate.js';

type Expected = readonly (readonly [path: string, message: string])[];
interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly errors?: Expected;
  readonly warnings?: Expected;
}

const head = (name = 'reviews', apiVersion = 'networking.istio.io/v1alpha3'): string =>
  `apiVersion: ${apiVersion}\nkind: VirtualService\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n`;

const CASES: readonly Case[] = [
  {
    name: 'accepts the Bookinfo reviews routing with header match and weights',
    yaml: `${head()}  hosts: [reviews]
  http:
  - match:
    - headers:
        end-user: {exact: jason}
    route:
    - destination: {host: reviews, subset: v2}
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 75
    - destination: {host: reviews.default.svc.cluster.local, subset: v3, port: {number: 9080}}
      weight: 25
    timeout: 1h2m
    retries: {attempts: 3, perTryTimeout: 1.5s, retryOn: "5xx,connect-failure,503"}
`,
  },
  {
    name: 'accepts host "*" when bound only to a gateway, with namespace/name gateway references',
    yaml: `${head('all', 'networking.istio.io/v1')}  hosts: ["*"]
  gateways: [istio-system/ingress, bookinfo-gateway]
  http:
  - route:
    - destination: {host: productpage}
`,
  },
  {
    name: 'rejects host "*" for mesh-bound services',
    yaml: `${head()}  hosts: ["*"]
  http:
  - route:
    - destination: {host: productpage}
`,
    errors: [['spec.hosts[0]', 'wildcard host "*" is not allowed']],
  },
  {
    name: 'rejects a wildcard that is not the leftmost label',
    yaml: `${head()}  hosts: [foo.*.com]
  http:
  - route:
    - destination: {host: productpage}
`,
    errors: [['spec.hosts[0]', 'only allowed as the leftmost label']],
  },
  {
    name: 'rejects overlapping hosts (wildcard covers a concrete host)',
    yaml: `${head()}  hosts: ["*.example.com", api.example.com]
  http:
  - route:
    - destination: {host: productpage}
`,
    errors: [['spec.hosts[1]', 'overlaps host "*.example.com"']],
  },
  {
    name: 'a VirtualService without hosts is a delegate: no gateways, and at least one route list',
    yaml: `${head()}  gateways: [mesh]
`,
    errors: [
      ['spec', 'at least one of http, tls or tcp routes is required'],
      ['spec.gateways', 'must not have gateways'],
    ],
  },
  {
    name: 'accepts a delegate VirtualService (no hosts, http routes only)',
    yaml: `${head()}  http:
  - match: [{uri: {prefix: /reviews}}]
    route:
    - destination: {host: reviews}
`,
    errors: [],
  },
  {
    name: 'rejects tcp routes and a further delegation inside a delegate',
    yaml: `${head()}  http:
  - delegate: {name: other}
  tcp:
  - route:
    - destination: {host: db}
`,
    errors: [
      ['spec.http[0].delegate', 'cannot delegate again'],
      ['spec.tcp', 'must not have tcp routes'],
    ],
  },
  {
    name: 'requires weights to add up to 100 with several destinations',
    yaml: `${head()}  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 70
    - destination: {host: reviews, subset: v2}
      weight: 20
`,
    errors: [['spec.http[0].route', 'must add up to 100, got 90']],
  },
  {
    name: 'counts omitted weights as 0 when there are several destinations',
    yaml: `${head()}  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
    - destination: {host: reviews, subset: v2}
`,
    errors: [['spec.http[0].route', 'got 0']],
  },
  {
    name: 'rejects a weight above 100 on a single destination',
    yaml: `${head()}  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
      weight: 150
`,
    errors: [['spec.http[0].route[0].weight', 'weight 150 must be in the range 0..100']],
  },
  {
    name: 'accepts weights written as strings (proto3 JSON integers)',
    yaml: `${head()}  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: "60"
    - destination: {host: reviews, subset: v2}
      weight: "40"
`,
  },
  {
    name: 'reports unknown fields at their path',
    yaml: `${head()}  hosts: [reviews]
  http:
  - foo: bar
    route:
    - destination: {host: reviews}
`,
    errors: [['spec.http[0].foo', 'unknown field "foo" in HTTPRoute']],
  },
  {
    name: 'reports a misspelled destination field and the missing host it leaves',
    yaml: `${head()}  hosts: [reviews]
  http:
  - route:
    - destination: {hostname: reviews}
`,
    errors: [
      ['spec.http[0].route[0].destination.hostname', 'unknown field "hostname"'],
      ['spec.http[0].route[0].destination.host', 'host is required'],
    ],
  },
  {
    name: 'collects every error in a document with many problems',
    yaml: `${head('Bad_Name')}  hosts: [reviews, reviews]
  gateways: [bad_ns/gw]
  http:
  - route:
    - destination: {host: "*", subset: V_1}
      weight: -5
    timeout: 10
    retries: {attempts: -1}
    fault: {}
  exportTo: [".", "*"]
`,
    errors: [
      ['metadata.name', 'must be a DNS-1123 subdomain'],
      ['spec.hosts[1]', 'overlaps host "reviews"'],
      ['spec.gateways[0]', 'namespace "bad_ns" is not a DNS-1123 label'],
      ['spec.http[0].route[0].destination.host', '"*" is not a valid destination host'],
      ['spec.http[0].route[0].destination.subset', 'subset name "V_1" is not a DNS-1123 label'],
      ['spec.http[0].route[0].weight', 'weight -5 must be in the range 0..100'],
      ['spec.http[0].timeout', 'expected a duration string'],
      ['spec.http[0].retries.attempts', 'attempts cannot be negative'],
      ['spec.http[0].fault', 'needs an abort, a delay, or both'],
      ['spec.exportTo', 'may have only one entry'],
    ],
  },
  {
    name: 'rejects route and redirect together',
    yaml: `${head()}  hosts: [reviews]
  http:
  - redirect: {uri: /v2}
    route:
    - destination: {host: reviews}
`,
    errors: [['spec.http[0]', 'cannot have both route and redirect']],
  },
  {
    name: 'requires a redirect to set uri or authority and a 3xx code',
    yaml: `${head()}  hosts: [reviews]
  http:
  - redirect: {redirectCode: 200}
`,
    errors: [
      ['spec.http[0].redirect', 'must set uri, authority, or both'],
      ['spec.http[0].redirect.redirectCode', 'must be a 3xx status'],
    ],
  },
  {
    name: 'requires a rewrite to set uri or authority',
    yaml: `${head()}  hosts: [reviews]
  http:
  - rewrite: {}
    route:
    - destination: {host: reviews}
`,
    errors: [['spec.http[0].rewrite', 'rewrite must set uri, authority, or both']],
  },
  {
    name: 'requires route, redirect or delegate',
    yaml: `${head()}  hosts: [reviews]
  http:
  - timeout: 5s
`,
    errors: [['spec.http[0]', 'one of route, redirect or delegate is required']],
  },
  {
    name: 'rejects an abort status outside 200..599',
    yaml: `${head()}  hosts: [ratings]
  http:
  - fault:
      abort: {httpStatus: 600, percentage: {value: 10}}
    route:
    - destination: {host: ratings}
`,
    errors: [['spec.http[0].fault.abort.httpStatus', 'HTTP status 600 must be in the range 200..599']],
  },
  {
    name: 'requires httpStatus in an abort and fixedDelay in a delay',
    yaml: `${head()}  hosts: [ratings]
  http:
  - fault:
      abort: {percentage: {value: 10}}
      delay: {percentage: {value: 10}}
    route:
    - destination: {host: ratings}
`,
    errors: [
      ['spec.http[0].fault.abort.httpStatus', 'abort requires httpStatus'],
      ['spec.http[0].fault.delay.fixedDelay', 'delay requires fixedDelay'],
    ],
  },
  {
    name: 'warns on the deprecated integer percent but accepts it',
    yaml: `${head()}  hosts: [ratings]
  http:
  - fault:
      delay: {percent: 10, fixedDelay: 5s}
    route:
    - destination: {host: ratings}
`,
    warnings: [['spec.http[0].fault.delay.percent', '"percent" is deprecated: use percentage.value']],
  },
  {
    name: 'rejects percentages outside [0.0001, 100] and sub-millisecond delays',
    yaml: `${head()}  hosts: [ratings]
  http:
  - fault:
      delay: {percentage: {value: 150}, fixedDelay: 500us}
      abort: {httpStatus: 503, percentage: {value: 0.00001}}
    route:
    - destination: {host: ratings}
`,
    errors: [
      ['spec.http[0].fault.delay.percentage.value', 'percentage 150 must be 0 or in the range [0.0001, 100]'],
      ['spec.http[0].fault.delay.fixedDelay', 'duration 500us must be at least 1ms'],
      ['spec.http[0].fault.abort.percentage.value', 'percentage 0.00001 must be 0'],
    ],
  },
  {
    name: 'rejects unimplemented fault types (gRPC status, exponential delay)',
    yaml: `${head()}  hosts: [ratings]
  http:
  - fault:
      abort: {grpcStatus: UNAVAILABLE}
      delay: {exponentialDelay: 1s}
    route:
    - destination: {host: ratings}
`,
    errors: [
      ['spec.http[0].fault.abort.grpcStatus', 'gRPC abort fault injection is not supported'],
      ['spec.http[0].fault.delay.exponentialDelay', 'exponentialDelay is not supported'],
    ],
  },
  {
    name: 'checks retryOn tokens and attempts 0 with other retry settings',
    yaml: `${head()}  hosts: [reviews]
  http:
  - retries: {attempts: 0, perTryTimeout: 2s, retryOn: "5xx,bogus,599, reset"}
    route:
    - destination: {host: reviews}
`,
    errors: [
      ['spec.http[0].retries.attempts', 'attempts is 0 (retries disabled)'],
      ['spec.http[0].retries.retryOn', '"bogus" is not a valid retryOn policy'],
      ['spec.http[0].retries.retryOn', '"599" is not a valid retryOn policy'],
      ['spec.http[0].retries.retryOn', 'comma-separated without spaces'],
    ],
  },
  {
    name: 'rejects malformed durations',
    yaml: `${head()}  hosts: [reviews]
  http:
  - timeout: 5 s
    route:
    - destination: {host: reviews}
`,
    errors: [['spec.http[0].timeout', 'invalid duration "5 s"']],
  },
  {
    name: 'rejects regexes RE2 cannot compile (lookahead, backreference)',
    yaml: `${head()}  hosts: [reviews]
  http:
  - match:
    - uri: {regex: "^/api(?=/v1)"}
      headers:
        x-id: {regex: "(a)\\\\1"}
    route:
    - destination: {host: reviews}
`,
    errors: [
      ['spec.http[0].match[0].uri.regex', 'is not a valid RE2 regular expression'],
      ['spec.http[0].match[0].headers["x-id"].regex', 'is not a valid RE2 regular expression'],
    ],
  },
  {
    name: 'rejects a StringMatch with two match types and prefix on query parameters',
    yaml: `${head()}  hosts: [reviews]
  http:
  - match:
    - uri: {exact: /a, prefix: /b}
      queryParams:
        q: {prefix: abc}
    route:
    - destination: {host: reviews}
`,
    errors: [
      ['spec.http[0].match[0].uri', 'only one of exact, prefix, regex may be set'],
      ['spec.http[0].match[0].queryParams["q"].prefix', 'prefix matching is not supported here'],
    ],
  },
  {
    name: 'warns on upper-case header names (map keys are data, not fields)',
    yaml: `${head()}  hosts: [reviews]
  http:
  - match:
    - headers:
        End-User: {exact: jason}
    route:
    - destination: {host: reviews}
`,
    warnings: [['spec.http[0].match[0].headers["End-User"]', 'should be lower case']],
  },
  {
    name: 'checks CORS methods, origins and max-age precision',
    yaml: `${head()}  hosts: [reviews]
  http:
  - corsPolicy:
      allowOrigin: ["*", "https://example.com:8443", "http://bad_host"]
      allowMethods: [GET, FETCH]
      maxAge: 1500ms
    route:
    - destination: {host: reviews}
`,
    errors: [
      ['spec.http[0].corsPolicy.allowOrigin[2]', 'origin "http://bad_host"'],
      ['spec.http[0].corsPolicy.allowMethods[1]', '"FETCH" is not a supported HTTP method'],
      ['spec.http[0].corsPolicy.maxAge', 'must be a whole number of seconds'],
    ],
  },
  {
    name: 'checks mirror destinations and destination ports',
    yaml: `${head()}  hosts: [reviews]
  http:
  - mirror: {host: reviews, subset: "v1.0"}
    route:
    - destination: {host: reviews, port: {name: http}}
      weight: 50
    - destination: {host: reviews, port: {number: 70000}}
      weight: 50
`,
    errors: [
      ['spec.http[0].mirror.subset', 'subset name "v1.0" is not a DNS-1123 label'],
      ['spec.http[0].route[0].destination.port.name', 'port.name is not supported for destinations'],
      ['spec.http[0].route[1].destination.port.number', 'port number 70000 must be in the range 1..65535'],
    ],
  },
  {
    name: 'warns on deprecated route fields',
    yaml: `${head()}  hosts: [reviews]
  http:
  - websocketUpgrade: true
    appendHeaders: {x-a: b}
    mirror: {host: reviews-shadow}
    mirrorPercent: 50
    route:
    - destination: {host: reviews}
`,
    warnings: [
      ['spec.http[0].websocketUpgrade', 'no effect'],
      ['spec.http[0].appendHeaders', 'use headers.request / headers.response'],
      ['spec.http[0].mirrorPercent', 'use mirrorPercentage'],
    ],
  },
  {
    name: 'requires SNI hosts of TLS routes to lie within the service hosts',
    yaml: `${head()}  hosts: ["*.example.com"]
  tls:
  - match:
    - sniHosts: [api.example.com, api.other.org]
      port: 443
    route:
    - destination: {host: api.example.com}
`,
    errors: [['spec.tls[0].match[0].sniHosts[1]', 'SNI host "api.other.org" is not within any of the virtual service hosts']],
  },
  {
    name: 'requires match and route on TLS routes',
    yaml: `${head()}  hosts: [api.example.com]
  tls:
  - route: []
`,
    errors: [
      ['spec.tls[0].match', 'a TLS route needs at least one match'],
      ['spec.tls[0].route', 'a TLS route needs at least one destination'],
    ],
  },
  {
    name: 'checks TCP route subnets and requires destinations',
    yaml: `${head()}  hosts: [mongo]
  tcp:
  - match:
    - destinationSubnets: [10.0.0.0/33, 10.1.0.0/16]
      sourceSubnet: "2001:db8::/32"
      port: 27017
`,
    errors: [
      // A missing field is reported at the line of its nearest ancestor (tcp[0]), so it sorts first.
      ['spec.tcp[0].route', 'a TCP route needs at least one destination'],
      ['spec.tcp[0].match[0].destinationSubnets[0]', '"10.0.0.0/33" is not a valid CIDR block'],
      ['spec.tcp[0].match[0].sourceSubnet', 'is not an IPv4 CIDR block'],
    ],
  },
  {
    name: 'reports JSON type mismatches at the field',
    yaml: `${head()}  hosts: reviews
  http:
  - route:
    - destination: {host: reviews}
      weight: 1.5
`,
    errors: [
      // The decoder drops the bad value; the "hosts required" rule does not repeat the complaint.
      ['spec.hosts', 'expected a list, got string'],
      ['spec.http[0].route[0].weight', 'expected an integer (int32), got 1.5'],
    ],
  },
  {
    name: 'checks delegate routes (Istio 1.6+)',
    yaml: `${head()}  hosts: [reviews]
  http:
  - delegate: {namespace: other}
`,
    errors: [['spec.http[0].delegate.name', 'delegate name is required']],
  },
];

describe('VirtualService validation', () => {
  it.each(CASES)('$name', ({ yaml, errors = [], warnings }) => {
    const result = validateConfigYaml(yaml, 'case.yaml');
    expect(result.errors.map((e) => [e.path, e.message])).toEqual(errors.map(([p, m]) => [p, expect.stringContaining(m)]));
    if (warnings !== undefined) {
      expect(result.warnings.map((w) => [w.path, w.message])).toEqual(warnings.map(([p, m]) => [p, expect.stringContaining(m)]));
    }
    expect(result.configs).toHaveLength(errors.length === 0 ? 1 : 0);
  });
});
