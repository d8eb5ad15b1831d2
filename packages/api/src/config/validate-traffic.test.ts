// Table-driven validation of DestinationRule, Gateway, ServiceEntry, Sidecar and WorkloadEntry.
import { describe, expect, it } from 'vitest';
import { validateConfigYaml } from './validate.js';

type Expected = readonly (readonly [path: string, message: string])[];
interface Case {
  readonly name: string;
  readonly yaml: string;
  readonly errors?: Expected;
  readonly warnings?: Expected;
}

const head = (kind: string, name = 'x', apiVersion = 'networking.istio.io/v1alpha3'): string =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n`;
const dr = (name = 'reviews'): string => head('DestinationRule', name);
const gw = (name = 'bookinfo-gateway'): string => head('Gateway', name);
const se = (name = 'external'): string => head('ServiceEntry', name);
const sc = (apiVersion?: string): string => head('Sidecar', 'default', apiVersion);

const CASES: readonly Case[] = [
  {
    name: 'DestinationRule: accepts subsets with a subset-level traffic policy',
    yaml: `${dr()}  host: reviews.default.svc.cluster.local
  trafficPolicy:
    loadBalancer: {simple: LEAST_CONN}
    portLevelSettings:
    - port: {number: 9080}
      tls: {mode: ISTIO_MUTUAL}
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v2
    labels: {version: v2}
    trafficPolicy:
      loadBalancer:
        consistentHash: {httpHeaderName: x-user}
`,
  },
  {
    name: 'DestinationRule: rejects duplicate subset names',
    yaml: `${dr()}  host: reviews
  subsets:
  - name: v1
  - name: v2
  - name: v1
`,
    errors: [['spec.subsets[2].name', 'duplicate subset name "v1" (also subsets[0])']],
  },
  {
    name: 'DestinationRule: requires DNS-1123 subset names and valid labels',
    yaml: `${dr()}  host: reviews
  subsets:
  - name: v1.0
    labels: {"-bad": v1}
  - labels: {version: v2}
`,
    errors: [
      ['spec.subsets[0].name', 'subset name "v1.0" is not a DNS-1123 label'],
      ['spec.subsets[0].labels["-bad"]', 'invalid label key "-bad"'],
      ['spec.subsets[1].name', 'subset name cannot be empty'],
    ],
  },
  {
    name: 'DestinationRule: requires host and a non-empty traffic policy',
    yaml: `${dr()}  trafficPolicy: {}
`,
    errors: [
      ['spec.host', 'host is required'],
      ['spec.trafficPolicy', 'traffic policy must set at least one field'],
    ],
  },
  {
    name: 'DestinationRule: simple and consistentHash are exclusive; enum names are exact',
    yaml: `${dr()}  host: reviews
  trafficPolicy:
    loadBalancer:
      simple: round_robin
      consistentHash: {useSourceIp: true}
`,
    errors: [
      ['spec.trafficPolicy.loadBalancer', 'only one of simple, consistentHash may be set'],
      ['spec.trafficPolicy.loadBalancer.simple', 'invalid value "round_robin"; expected one of ROUND_ROBIN'],
    ],
  },
  {
    name: 'DestinationRule: httpCookie needs name and ttl',
    yaml: `${dr()}  host: reviews
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {path: /}
`,
    errors: [
      ['spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name', 'httpCookie name is required'],
      ['spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.ttl', 'httpCookie ttl is required'],
    ],
  },
  {
    name: 'DestinationRule: checks outlier detection and connection pool bounds',
    yaml: `${dr()}  host: reviews
  trafficPolicy:
    connectionPool:
      http: {maxRetries: -1, idleTimeout: 0s}
    outlierDetection:
      consecutiveErrors: -2
      interval: 0.5ms
      maxEjectionPercent: 120
`,
    errors: [
      ['spec.trafficPolicy.connectionPool.http.maxRetries', 'must be non-negative, got -1'],
      ['spec.trafficPolicy.connectionPool.http.idleTimeout', 'duration 0s must be at least 1ms'],
      ['spec.trafficPolicy.outlierDetection.consecutiveErrors', 'must be non-negative, got -2'],
      ['spec.trafficPolicy.outlierDetection.interval', 'duration 0.5ms must be at least 1ms'],
      ['spec.trafficPolicy.outlierDetection.maxEjectionPercent', 'percentage 120 must be in the range 0..100'],
    ],
  },
  {
    name: 'DestinationRule: MUTUAL client TLS needs a certificate and key',
    yaml: `${dr()}  host: api.example.com
  trafficPolicy:
    tls: {mode: MUTUAL, caCertificates: /etc/certs/ca.pem}
`,
    errors: [
      ['spec.trafficPolicy.tls.clientCertificate', 'MUTUAL TLS requires clientCertificate'],
      ['spec.trafficPolicy.tls.privateKey', 'MUTUAL TLS requires privateKey'],
    ],
  },
  {
    name: 'DestinationRule: port-level settings need a port, a setting, and unique ports',
    yaml: `${dr()}  host: reviews
  trafficPolicy:
    portLevelSettings:
    - loadBalancer: {simple: RANDOM}
    - port: {number: 80}
    - port: {number: 80}
      loadBalancer: {simple: RANDOM}
    - port: {number: 80}
      loadBalancer: {simple: RANDOM}
`,
    errors: [
      ['spec.trafficPolicy.portLevelSettings[0].port', 'port is required'],
      ['spec.trafficPolicy.portLevelSettings[1]', 'port traffic policy must set at least one of'],
      ['spec.trafficPolicy.portLevelSettings[2].port.number', 'port 80 already has settings in portLevelSettings[1]'],
      ['spec.trafficPolicy.portLevelSettings[3].port.number', 'port 80 already has settings in portLevelSettings[1]'],
    ],
  },
  {
    name: 'DestinationRule: locality weights must add up to 100',
    yaml: `${dr()}  host: reviews
  trafficPolicy:
    loadBalancer:
      localityLbSetting:
        distribute:
        - from: us-west/zone1/*
          to: {"us-west/zone1/*": 80, "us-west/zone2/*": 10}
`,
    errors: [['spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to', 'locality weights must add up to 100, got 90']],
  },
  {
    name: 'Gateway: accepts HTTP with httpsRedirect, HTTPS with credentialName, TLS passthrough',
    yaml: `${gw()}  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["bookinfo/*.example.com"]
    tls: {httpsRedirect: true}
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [bookinfo.example.com]
    tls: {mode: SIMPLE, credentialName: bookinfo-secret}
  - port: {number: 15443, name: tls, protocol: TLS}
    hosts: ["*.global"]
    tls: {mode: AUTO_PASSTHROUGH}
`,
  },
  {
    name: 'Gateway: HTTPS servers need tls settings',
    yaml: `${gw()}  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
`,
    errors: [['spec.servers[0].tls', 'a HTTPS server needs tls settings']],
  },
  {
    name: 'Gateway: SIMPLE and MUTUAL need certificate files',
    yaml: `${gw()}  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE}
  - port: {number: 8443, name: mtls, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: MUTUAL, serverCertificate: /c.pem, privateKey: /k.pem}
`,
    errors: [
      ['spec.servers[0].tls.serverCertificate', 'SIMPLE TLS requires serverCertificate'],
      ['spec.servers[0].tls.privateKey', 'SIMPLE TLS requires privateKey'],
      ['spec.servers[1].tls.caCertificates', 'MUTUAL TLS requires caCertificates'],
    ],
  },
  {
    name: 'Gateway: rejects unknown protocols, missing port names and duplicate port names',
    yaml: `${gw()}  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 81, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 82, protocol: QUIC}
    hosts: ["*"]
`,
    errors: [
      ['spec.servers[1].port.name', 'port name "http" is already used by servers[0]'],
      ['spec.servers[2].port.protocol', 'invalid protocol "QUIC"'],
      ['spec.servers[2].port.name', 'port name is required'],
    ],
  },
  {
    name: 'Gateway: needs servers, and a name usable in namespace/name references',
    yaml: `${gw('bookinfo.gateway')}  selector: {istio: ingressgateway}
`,
    errors: [
      ['metadata.name', 'Gateway name "bookinfo.gateway" must be a DNS-1123 label'],
      ['spec.servers', 'a gateway needs at least one server'],
    ],
  },
  {
    name: 'Gateway: server hosts must be FQDNs with a valid namespace part',
    yaml: `${gw()}  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [reviews, "Bad_NS/reviews.example.com", "~/foo.com"]
`,
    errors: [
      ['spec.servers[0].hosts[0]', 'short names (non FQDN) are not allowed'],
      ['spec.servers[0].hosts[1]', 'invalid namespace "Bad_NS"'],
      ['spec.servers[0].hosts[2]', 'invalid namespace "~"'],
    ],
  },
  {
    name: 'Gateway: bind must be an IPv4 or IPv6 address; unix:// binds are refused, not served',
    yaml: `${gw()}  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
    bind: 10.0.0.1
  - port: {number: 81, name: http-v6, protocol: HTTP}
    hosts: ["*"]
    bind: "fd00::1"
  - port: {number: 82, name: http-host, protocol: HTTP}
    hosts: ["*"]
    bind: ingress.example.com
  - port: {number: 83, name: http-hostport, protocol: HTTP}
    hosts: ["*"]
    bind: "10.0.0.1:83"
  - port: {number: 84, name: http-bracket, protocol: HTTP}
    hosts: ["*"]
    bind: "[fd00::1]"
  - port: {number: 0, name: http-uds, protocol: HTTP}
    hosts: ["*"]
    bind: unix:///var/run/gateway.sock
`,
    errors: [
      ['spec.servers[2].bind', '"ingress.example.com" is not a valid IP address; bind must be an IPv4 or IPv6 address'],
      ['spec.servers[3].bind', '"10.0.0.1:83" is not a valid IP address'],
      ['spec.servers[4].bind', '"[fd00::1]" is not a valid IP address'],
      ['spec.servers[5].bind', 'unix domain socket bind "unix:///var/run/gateway.sock" is not supported: Weft\'s gateway listeners bind IP addresses only'],
    ],
  },
  {
    name: 'Gateway: TCP servers cannot carry TLS settings; plain HTTP only httpsRedirect',
    yaml: `${gw()}  servers:
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ["*"]
    tls: {httpsRedirect: true}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: c}
`,
    errors: [
      ['spec.servers[0].tls', 'a TCP server cannot have tls settings'],
      ['spec.servers[1].tls', 'a plain-text HTTP server can only use tls.httpsRedirect'],
    ],
  },
  {
    name: 'ServiceEntry: accepts DNS resolution of FQDN hosts',
    yaml: `${se()}  hosts: [www.googleapis.com, api.github.com]
  ports:
  - {number: 443, name: https, protocol: HTTPS}
  location: MESH_EXTERNAL
  resolution: DNS
`,
  },
  {
    name: 'ServiceEntry: STATIC endpoints must be IP addresses',
    yaml: `${se()}  hosts: [db.internal]
  ports:
  - {number: 5432, name: tcp-pg, protocol: TCP}
  resolution: STATIC
  endpoints:
  - address: db.example.com
  - address: 10.0.0.7
    ports: {http: 8080}
`,
    errors: [
      ['spec.endpoints[0].address', '"db.example.com" is not a valid IP address'],
      ['spec.endpoints[1].ports["http"]', 'port name "http" is not declared'],
    ],
  },
  {
    name: 'ServiceEntry: STATIC needs endpoints; NONE must not have them',
    yaml: `${se('a')}  hosts: [a.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
---
${se('b')}  hosts: [b.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints: [{address: 1.2.3.4}]
`,
    errors: [
      ['spec.endpoints', 'resolution STATIC requires endpoints'],
      ['spec.endpoints', 'endpoints must not be set with resolution NONE'],
    ],
  },
  {
    name: 'ServiceEntry: DNS without endpoints cannot resolve wildcard hosts',
    yaml: `${se()}  hosts: ["*.example.com"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
`,
    errors: [['spec.hosts[0]', 'with resolution DNS and no endpoints, hosts must be fully qualified']],
  },
  {
    name: 'ServiceEntry: ports must be unique by number and by name',
    yaml: `${se()}  hosts: [api.example.com]
  ports:
  - {number: 80, name: http, protocol: HTTP}
  - {number: 80, name: http, protocol: HTTP2}
  - {number: 0, name: Bad_Name, protocol: SCTP}
  resolution: DNS
`,
    errors: [
      ['spec.ports[1].name', 'port name "http" is already defined'],
      ['spec.ports[1].number', 'port 80 is already defined'],
      ['spec.ports[2].name', 'invalid port name "Bad_Name"'],
      ['spec.ports[2].protocol', 'unsupported protocol "SCTP"'],
      ['spec.ports[2].number', 'port number 0 must be in the range 1..65535'],
    ],
  },
  {
    name: 'ServiceEntry: CIDR addresses only with NONE/STATIC; "*" host; several hosts need HTTP/TLS',
    yaml: `${se()}  hosts: ["*", mongo.example.com]
  addresses: [10.0.0.0/24, 300.1.1.1]
  ports: [{number: 27017, name: mongo, protocol: MONGO}]
  resolution: DNS
`,
    errors: [
      ['spec.hosts[0]', '"*" is not allowed as a service entry host'],
      ['spec.hosts', 'several hosts need HTTP or TLS ports'],
      ['spec.addresses[0]', 'CIDR addresses are only allowed with resolution NONE or STATIC'],
      ['spec.addresses[1]', '"300.1.1.1" is not a valid IP address'],
    ],
  },
  {
    name: 'ServiceEntry: workloadSelector and endpoints are exclusive; resolution is an enum',
    yaml: `${se()}  hosts: [vm.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS_ROUND_ROBIN
  workloadSelector: {labels: {app: vm}}
  endpoints: [{address: 1.2.3.4}]
`,
    errors: [
      ['spec', 'workloadSelector and endpoints cannot both be set'],
      ['spec.resolution', 'invalid value "DNS_ROUND_ROBIN"'],
    ],
  },
  {
    name: 'Sidecar: accepts namespace-scoped egress hosts at v1beta1 and v1',
    yaml: `${sc('networking.istio.io/v1beta1')}  egress:
  - hosts: ["./*", "istio-system/*", "~/*", "*/reviews.default.svc.cluster.local"]
---
${sc('networking.istio.io/v1')}  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
  egress:
  - hosts: ["*/*"]
`,
  },
  {
    name: 'Sidecar: egress hosts need the namespace/dnsName form',
    yaml: `${sc()}  egress:
  - hosts: [reviews.default.svc.cluster.local, "bad_ns/foo.com", "./reviews"]
`,
    errors: [
      ['spec.egress[0].hosts[0]', 'must be of the form namespace/dnsName'],
      ['spec.egress[0].hosts[1]', 'invalid namespace "bad_ns"'],
      ['spec.egress[0].hosts[2]', 'short names (non FQDN) are not allowed'],
    ],
  },
  {
    name: 'Sidecar: needs egress; the port-less catch-all listener must be last',
    yaml: `${sc()}  workloadSelector: {labels: {}}
  ingress:
  - port: {number: 9080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.2:8080
  egress:
  - hosts: ["*/*"]
  - port: {number: 80, protocol: HTTP}
    hosts: ["*/*"]
`,
    errors: [
      ['spec.workloadSelector.labels', 'workloadSelector cannot have empty labels'],
      ['spec.ingress[0].defaultEndpoint', 'defaultEndpoint must be 127.0.0.1:<port>'],
      ['spec.egress[0]', 'the egress listener without a port must be the last one'],
    ],
  },
  {
    name: 'Sidecar: requires egress and ingress defaults; port 0 needs a unix bind',
    yaml: `${sc()}  ingress:
  - port: {number: 0, protocol: HTTP}
`,
    errors: [
      ['spec.egress', 'at least one egress listener is required'],
      ['spec.ingress[0].bind', 'a listener with port 0 needs a unix:// bind address'],
      ['spec.ingress[0].defaultEndpoint', 'defaultEndpoint is required for ingress listeners'],
    ],
  },
  {
    name: 'WorkloadEntry: accepts a VM at v1alpha3 and requires an address',
    yaml: `${head('WorkloadEntry', 'vm-1')}  address: 10.1.2.3
  ports: {http: 8080}
  labels: {app: ratings}
---
${head('WorkloadEntry', 'vm-2', 'networking.istio.io/v1beta1')}  ports: {http: 0}
`,
    errors: [
      ['spec.address', 'address is required'],
      ['spec.ports["http"]', 'port number 0 must be in the range 1..65535'],
    ],
  },
];

describe('DestinationRule, Gateway, ServiceEntry, Sidecar and WorkloadEntry validation', () => {
  it.each(CASES)('$name', ({ yaml, errors = [], warnings }) => {
    const result = validateConfigYaml(yaml, 'case.yaml');
    expect(result.errors.map((e) => [e.path, e.message])).toEqual(errors.map(([p, m]) => [p, expect.stringContaining(m)]));
    if (warnings !== undefined) {
      expect(result.warnings.map((w) => [w.path, w.message])).toEqual(warnings.map(([p, m]) => [p, expect.stringContaining(m)]));
    }
  });
});
