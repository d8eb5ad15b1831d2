import { loadProtoRegistry, type ClientTLSSettings } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { proxyFor } from '../../../test/fixtures/snapshot.js';
import { CLUSTER_TYPE, finishDraft, newDraft, type UpstreamProtocol } from './cluster-draft.js';
import { applyUpstreamTls, type UpstreamTlsOptions } from './upstream-tls.js';

const registry = loadProtoRegistry();
const SIDECAR = proxyFor('sidecar~10.1.0.10~productpage-v1-abc.default~default.svc.cluster.local');
const GATEWAY = proxyFor('router~10.1.0.100~istio-egressgateway-xyz.istio-system~istio-system.svc.cluster.local');
const SNI = 'outbound_.9080_.v1_.reviews.default.svc.cluster.local';
const SA = 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews';

const SDS = (name: string) => ({
  name,
  sdsConfig: { apiConfigSource: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'sds-grpc' } }] }, resourceApiVersion: 'V3' },
});

/** The UpstreamTlsContext of the cluster as config_dump prints it, or undefined without a TLS socket. */
function tlsContext(tls: ClientTLSSettings | undefined, options: Partial<UpstreamTlsOptions> = {}, protocol: UpstreamProtocol = 'http1') {
  const draft = newDraft('outbound|9080|v1|reviews.default.svc.cluster.local', 'EDS', 'outbound');
  draft.protocol = protocol;
  applyUpstreamTls(draft, tls, { istioMutualSni: SNI, serviceAccounts: [SA], proxy: SIDECAR, ...options });
  const json = registry.toJson(CLUSTER_TYPE, finishDraft(draft)) as Record<string, any>;
  if (!json['transportSocket']) return undefined;
  expect(json['transportSocket'].name).toBe('envoy.transport_sockets.tls');
  const { '@type': type, ...context } = json['transportSocket'].typedConfig;
  expect(type).toBe('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
  return context;
}

describe('client TLS modes', () => {
  it.each<[string, ClientTLSSettings, UpstreamProtocol, Partial<UpstreamTlsOptions>, unknown]>([
    ['DISABLE: plain text', { mode: 'DISABLE' }, 'http1', {}, undefined],
    ['SIMPLE with nothing to verify', { mode: 'SIMPLE' }, 'http1', {}, { commonTlsContext: {} }],
    [
      'SIMPLE with CA file, SANs and SNI',
      { mode: 'SIMPLE', caCertificates: '/etc/certs/ca.pem', subjectAltNames: ['api.example.com'], sni: 'api.example.com' },
      'http1',
      {},
      { commonTlsContext: { validationContext: { trustedCa: { filename: '/etc/certs/ca.pem' }, matchSubjectAltNames: [{ exact: 'api.example.com' }] } }, sni: 'api.example.com' },
    ],
    ['SIMPLE on an HTTP/2 cluster advertises h2', { mode: 'SIMPLE' }, 'http2', {}, { commonTlsContext: { alpnProtocols: ['h2'] } }],
    [
      'MUTUAL with file paths',
      { mode: 'MUTUAL', clientCertificate: '/etc/certs/cert.pem', privateKey: '/etc/certs/key.pem', caCertificates: '/etc/certs/ca.pem' },
      'http1',
      {},
      {
        commonTlsContext: {
          tlsCertificates: [{ certificateChain: { filename: '/etc/certs/cert.pem' }, privateKey: { filename: '/etc/certs/key.pem' } }],
          validationContext: { trustedCa: { filename: '/etc/certs/ca.pem' } },
        },
      },
    ],
    ['MUTUAL without a key pair is ignored (Istio logs it)', { mode: 'MUTUAL', caCertificates: '/etc/certs/ca.pem' }, 'http1', {}, undefined],
    ['MUTUAL credentialName is ignored on sidecars', { mode: 'MUTUAL', credentialName: 'client-cred' }, 'http1', {}, undefined],
    [
      'MUTUAL credentialName on a gateway: SDS kubernetes://<name> and <name>-cacert',
      { mode: 'MUTUAL', credentialName: 'client-cred', sni: 'api.example.com' },
      'http1',
      { proxy: GATEWAY },
      {
        commonTlsContext: {
          tlsCertificateSdsSecretConfigs: [SDS('kubernetes://client-cred')],
          combinedValidationContext: { defaultValidationContext: {}, validationContextSdsSecretConfig: SDS('kubernetes://client-cred-cacert') },
        },
        sni: 'api.example.com',
      },
    ],
    [
      'SIMPLE credentialName on a gateway: only the CA over SDS',
      { mode: 'SIMPLE', credentialName: 'ca-cred' },
      'http1',
      { proxy: GATEWAY },
      { commonTlsContext: { combinedValidationContext: { defaultValidationContext: {}, validationContextSdsSecretConfig: SDS('kubernetes://ca-cred-cacert') } } },
    ],
    [
      'ISTIO_MUTUAL: SDS default/ROOTCA, service accounts as SANs, SNI outbound_.port_.subset_.host, ALPN istio',
      { mode: 'ISTIO_MUTUAL' },
      'http1',
      {},
      {
        commonTlsContext: {
          tlsCertificateSdsSecretConfigs: [SDS('default')],
          combinedValidationContext: { defaultValidationContext: { matchSubjectAltNames: [{ exact: SA }] }, validationContextSdsSecretConfig: SDS('ROOTCA') },
          alpnProtocols: ['istio'],
        },
        sni: SNI,
      },
    ],
    [
      'ISTIO_MUTUAL keeps a configured SNI and SANs',
      { mode: 'ISTIO_MUTUAL', sni: 'custom.sni', subjectAltNames: ['spiffe://other/ns/x/sa/y'] },
      'http1',
      {},
      {
        commonTlsContext: {
          tlsCertificateSdsSecretConfigs: [SDS('default')],
          combinedValidationContext: { defaultValidationContext: { matchSubjectAltNames: [{ exact: 'spiffe://other/ns/x/sa/y' }] }, validationContextSdsSecretConfig: SDS('ROOTCA') },
          alpnProtocols: ['istio'],
        },
        sni: 'custom.sni',
      },
    ],
  ])('%s', (_, tls, protocol, options, expected) => {
    const context = tlsContext(tls, options, protocol);
    if (expected === undefined) expect(context).toBeUndefined();
    else expect(context).toMatchObject(expected as object);
  });

  it.each<[UpstreamProtocol, string[]]>([
    ['http1', ['istio']],
    ['http2', ['istio', 'h2']],
    ['downstream', ['istio', 'h2']],
  ])('ISTIO_MUTUAL on a %s cluster advertises %j', (protocol, alpn) => {
    expect(tlsContext({ mode: 'ISTIO_MUTUAL' }, {}, protocol)?.commonTlsContext.alpnProtocols).toEqual(alpn);
  });

  it('DISABLE removes TLS set by an earlier policy (a subset opting out of the rule)', () => {
    const draft = newDraft('outbound|9080|v1|reviews.default.svc.cluster.local', 'EDS', 'outbound');
    const options = { istioMutualSni: SNI, serviceAccounts: [SA], proxy: SIDECAR };
    applyUpstreamTls(draft, { mode: 'ISTIO_MUTUAL' }, options);
    expect(draft.cluster.transport_socket).toBeDefined();
    applyUpstreamTls(draft, { mode: 'DISABLE' }, options);
    expect(draft.cluster.transport_socket).toBeUndefined();
  });

  it('no TLS settings leave the cluster unchanged', () => {
    expect(tlsContext(undefined)).toBeUndefined();
  });
});
