import { describe, expect, it } from 'vitest';
import { KNOWN_KINDS, kindKey, lookupKind, splitApiVersion } from './kinds.js';

describe('kind table', () => {
  it.each([
    ['networking.istio.io/v1alpha3', 'VirtualService'],
    ['networking.istio.io/v1beta1', 'DestinationRule'],
    ['networking.istio.io/v1', 'Gateway'],
    ['networking.istio.io/v1', 'ServiceEntry'],
    ['networking.istio.io/v1beta1', 'Sidecar'],
    ['networking.istio.io/v1alpha3', 'WorkloadEntry'],
    ['networking.istio.io/v1alpha3', 'EnvoyFilter'],
    ['security.istio.io/v1beta1', 'AuthorizationPolicy'],
    ['authentication.istio.io/v1alpha1', 'MeshPolicy'],
    ['rbac.istio.io/v1alpha1', 'ServiceRoleBinding'],
    ['config.istio.io/v1alpha2', 'rule'],
    ['config.istio.io/v1alpha2', 'prometheus'],
    ['config.istio.io/v1alpha2', 'metric'],
  ])('serves %s %s', (apiVersion, kind) => {
    expect(lookupKind(apiVersion, kind).ok).toBe(true);
  });

  it.each([
    ['networking.istio.io/v1', 'EnvoyFilter', 'unknown-version'],
    ['networking.istio.io/v1alpha2', 'VirtualService', 'unknown-version'],
    ['rbac.istio.io/v1beta1', 'ServiceRole', 'unknown-version'],
    ['networking.istio.io/v1alpha3', 'Route', 'unknown-kind'],
    ['v1', 'Service', 'foreign-group'],
    ['apps/v1', 'Deployment', 'foreign-group'],
  ])('does not serve %s %s (%s)', (apiVersion, kind, reason) => {
    const r = lookupKind(apiVersion, kind);
    expect(r.ok ? undefined : r.reason).toBe(reason);
  });

  it('marks cluster-scoped singletons and deprecations', () => {
    const meshPolicy = KNOWN_KINDS.find((k) => k.kind === 'MeshPolicy');
    expect(meshPolicy?.clusterScoped).toBe(true);
    expect(KNOWN_KINDS.find((k) => k.kind === 'ServiceRole')?.deprecation).toContain('AuthorizationPolicy');
    expect(KNOWN_KINDS.find((k) => k.kind === 'VirtualService')?.deprecation).toBeUndefined();
  });

  it('has one entry per group and kind', () => {
    const keys = KNOWN_KINDS.map((k) => `${k.group}/${k.kind}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('builds and splits keys', () => {
    expect(kindKey('networking.istio.io', 'v1alpha3', 'Sidecar')).toBe('networking.istio.io/v1alpha3/Sidecar');
    expect(splitApiVersion('v1')).toEqual({ group: '', version: 'v1' });
    expect(splitApiVersion('security.istio.io/v1beta1')).toEqual({ group: 'security.istio.io', version: 'v1beta1' });
  });
});
