import type { DestinationRule } from '@weft/api';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../model/mesh-snapshot.js';
import { destinationRuleConfigPath, destinationRuleFor, destinationRuleHost, type DestinationRuleQuery } from './destination-rule-lookup.js';

function rule(namespace: string, name: string, host: string, exportTo?: string[]): Config<DestinationRule> {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: { host, ...(exportTo ? { exportTo } : {}) },
  } as Config<DestinationRule>;
}

const REVIEWS = 'reviews.default.svc.cluster.local';
const query = (proxyNamespace: string, hostname = REVIEWS, serviceNamespace = 'default'): DestinationRuleQuery => ({
  proxyNamespace,
  hostname,
  serviceNamespace,
  rootNamespace: 'istio-system',
  domainSuffix: 'cluster.local',
});

describe('destinationRuleHost', () => {
  it.each([
    ['reviews', 'default', 'reviews.default.svc.cluster.local'],
    ['reviews', 'weather', 'reviews.weather.svc.cluster.local'],
    ['reviews.default.svc.cluster.local', 'weather', 'reviews.default.svc.cluster.local'],
    ['*.example.com', 'default', '*.example.com'],
    ['*', 'default', '*'],
  ])('%s in namespace %s → %s', (host, ns, expected) => {
    expect(destinationRuleHost(rule(ns, 'r', host), 'cluster.local')).toBe(expected);
  });
});

describe('destinationRuleFor precedence (Istio 1.3)', () => {
  const proxyNs = rule('frontend', 'in-proxy-ns', REVIEWS);
  const serviceNs = rule('default', 'in-service-ns', 'reviews');
  const root = rule('istio-system', 'in-root', '*.svc.cluster.local');
  const rootExact = rule('istio-system', 'in-root-exact', REVIEWS);

  it.each<[string, Config<DestinationRule>[], DestinationRuleQuery, string | undefined]>([
    ['the proxy namespace first', [serviceNs, proxyNs, root], query('frontend'), 'in-proxy-ns'],
    ['then the service namespace', [serviceNs, root], query('frontend'), 'in-service-ns'],
    ['then the root namespace', [root], query('frontend'), 'in-root'],
    ['nothing matches', [rule('default', 'other', 'ratings')], query('frontend'), undefined],
    ['a proxy in the root namespace skips its own namespace (gateways)', [rootExact, serviceNs], query('istio-system'), 'in-service-ns'],
    ['…and still falls back to the root namespace', [rootExact], query('istio-system'), 'in-root-exact'],
    ['a private rule in the service namespace is not used from elsewhere', [rule('default', 'private', 'reviews', ['.']), root], query('frontend'), 'in-root'],
    ['a private rule applies in its own namespace', [rule('default', 'private', 'reviews', ['.']), root], query('default'), 'private'],
    ['a private rule in the root namespace is ignored', [rule('istio-system', 'private-root', '*', ['.'])], query('frontend'), undefined],
    ['a short host resolves in the rule\'s namespace', [rule('frontend', 'short', 'reviews'), serviceNs], query('frontend'), 'in-service-ns'],
  ])('%s', (_, rules, q, expected) => {
    expect(destinationRuleFor(rules, q)?.metadata.name).toBe(expected);
  });

  it.each<[string, Config<DestinationRule>[], string]>([
    ['exact beats wildcard', [rule('default', 'wild', '*.default.svc.cluster.local'), rule('default', 'exact', 'reviews')], 'exact'],
    ['longer wildcard beats shorter', [rule('default', 'short', '*.cluster.local'), rule('default', 'long', '*.default.svc.cluster.local')], 'long'],
    ['same host: the first in config order', [rule('default', 'a', 'reviews'), rule('default', 'b', REVIEWS)], 'a'],
  ])('most specific host within a namespace: %s', (_, rules, expected) => {
    expect(destinationRuleFor(rules, query('default'))?.metadata.name).toBe(expected);
  });

  it('matches a wildcard service host against a concrete rule host', () => {
    expect(destinationRuleFor([rule('default', 'api', 'api.example.com')], query('default', '*.example.com'))?.metadata.name).toBe('api');
  });
});

describe('destinationRuleConfigPath', () => {
  it('is the config path Istio records in cluster metadata', () => {
    expect(destinationRuleConfigPath(rule('default', 'reviews', 'reviews'))).toBe('/apis/networking.istio.io/v1alpha3/namespaces/default/destination-rule/reviews');
  });
});
