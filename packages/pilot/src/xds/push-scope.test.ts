import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { snapshotFromYaml } from '../../test/fixtures/snapshot.js';
import { pushScope } from './push-scope.js';

function entry(name: string, resolution: string, endpoints: string): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ${name}, namespace: shop}
spec:
  hosts: [${name}.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: ${resolution}
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: ${endpoints}
`;
}

const RULE = `---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: cart, namespace: shop}
spec:
  host: cart.shop.svc.cluster.local
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 10}}}
`;

const mesh = (cart: string, extra = '') => snapshotFromYaml(`${entry('cart', 'STATIC', cart)}---\n${entry('pay', 'STATIC', '[{address: 10.0.0.9}]')}${extra}`);
const NONE = new Set<string>();

describe('pushScope', () => {
  it('is incremental (EDS for the changed host only) when only a STATIC service’s endpoints changed', () => {
    const a = mesh('[{address: 10.0.0.1}]');
    expect(pushScope(a, mesh('[{address: 10.0.0.2}]'), NONE)).toEqual({ full: false, edsUpdates: new Set(['cart.shop.svc.cluster.local']) });
    expect(pushScope(a, mesh('[{address: 10.0.0.1, labels: {v: "2"}}]'), NONE)).toEqual({ full: false, edsUpdates: new Set(['cart.shop.svc.cluster.local']) });
    expect(pushScope(a, mesh('[{address: 10.0.0.1}, {address: 10.0.0.3}]'), NONE)).toMatchObject({ full: false });
  });

  it('is an empty incremental push when nothing changed', () => {
    expect(pushScope(mesh('[{address: 10.0.0.1}]'), mesh('[{address: 10.0.0.1}]'), NONE)).toEqual({ full: false, edsUpdates: new Set() });
  });

  it('is full for the first push, a config change, or a service change', () => {
    const a = mesh('[{address: 10.0.0.1}]');
    expect(pushScope(undefined, a, NONE)).toMatchObject({ full: true, reason: 'first push' });
    const full = pushScope(a, mesh('[{address: 10.0.0.1}]', RULE), NONE);
    expect(full).toMatchObject({ full: true, reason: 'config (DestinationRule)' });
    expect(full).not.toHaveProperty('types');
    const ported = snapshotFromYaml(`${entry('cart', 'STATIC', '[{address: 10.0.0.1}]').replace('number: 8080', 'number: 8081')}---\n${entry('pay', 'STATIC', '[{address: 10.0.0.9}]')}`);
    expect(pushScope(a, ported, NONE)).toMatchObject({ full: true, reason: 'services' });
    expect(pushScope(a, snapshotFromYaml(entry('cart', 'STATIC', '[{address: 10.0.0.1}]')), NONE)).toMatchObject({ full: true, reason: 'services' });
  });

  it('is full when the changed endpoints feed another type', () => {
    const dns = (host: string) => snapshotFromYaml(entry('cart', 'DNS', `[{address: ${host}}]`));
    expect(pushScope(dns('a.example.com'), dns('b.example.com'), NONE)).toMatchObject({ full: true, reason: 'endpoints of DNS service cart.shop.svc.cluster.local' });
    const a = mesh('[{address: 10.0.0.1}]');
    expect(pushScope(a, mesh('[{address: 10.0.0.1, serviceAccount: cart}]'), NONE)).toMatchObject({ full: true, reason: 'service accounts of cart.shop.svc.cluster.local' });
    // Moving off, or onto, a connected proxy's address changes that proxy's inbound side.
    expect(pushScope(a, mesh('[{address: 10.0.0.2}]'), new Set(['10.0.0.1']))).toMatchObject({ full: true, reason: 'endpoint of a connected proxy (10.0.0.1)' });
    expect(pushScope(a, mesh('[{address: 10.0.0.2}]'), new Set(['10.0.0.2']))).toMatchObject({ full: true, reason: 'endpoint of a connected proxy (10.0.0.2)' });
  });

  it('limits a change of only VirtualServices or Gateways to listeners and routes', () => {
    const vs = (weight: number) => `---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart.shop.svc.cluster.local]
  http: [{route: [{destination: {host: cart.shop.svc.cluster.local}, weight: ${weight}}, {destination: {host: pay.shop.svc.cluster.local}, weight: ${100 - weight}}]}]
`;
    const a = mesh('[{address: 10.0.0.1}]', vs(90));
    const routing = pushScope(a, mesh('[{address: 10.0.0.1}]', vs(80)), NONE);
    expect(routing).toMatchObject({ full: true, reason: 'config (VirtualService)' });
    expect(routing.full && [...(routing.types ?? [])].sort()).toEqual([TypeUrl.Listener, TypeUrl.RouteConfiguration].sort());
    // With endpoints or other kinds changing too, every type.
    expect(pushScope(a, mesh('[{address: 10.0.0.2}]', vs(80)), NONE)).not.toHaveProperty('types');
    expect(pushScope(a, mesh('[{address: 10.0.0.1}]', `${vs(80)}${RULE}`), NONE)).toMatchObject({ reason: 'config (VirtualService, DestinationRule)' });
    expect(pushScope(a, mesh('[{address: 10.0.0.1}]', `${vs(80)}${RULE}`), NONE)).not.toHaveProperty('types');
  });
});
