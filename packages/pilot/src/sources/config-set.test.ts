import { validateConfigYaml } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { ServiceEntryRegistry } from '../registry/service-entry-registry.js';
import { aggregateView } from '../registry/service-registry.js';
import { configSetFrom } from './config-set.js';

const SE = `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: cart}
spec:
  hosts: [cart.shop.svc.cluster.local]
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.0.0.1}]
`;

describe('configSetFrom and the ServiceEntry registry keep what did not change', () => {
  it('gives the same config, service and instance objects for the same input objects', () => {
    const { configs } = validateConfigYaml(SE, 'se.yaml');
    const registry = [new ServiceEntryRegistry()];
    const a = configSetFrom(configs);
    const b = configSetFrom(configs);
    expect(b.serviceEntries[0]).toBe(a.serviceEntries[0]);
    expect(a.serviceEntries[0]?.metadata.namespace).toBe('default');
    const va = aggregateView(registry, a);
    const vb = aggregateView(registry, b);
    expect(vb.services[0]).toBe(va.services[0]);
    expect(vb.instances[0]).toBe(va.instances[0]);
    // A new input object (the file changed) is converted anew; another default namespace too.
    const again = validateConfigYaml(SE.replace('10.0.0.1', '10.0.0.2'), 'se.yaml').configs;
    expect(aggregateView(registry, configSetFrom(again)).instances[0]?.endpoint.address).toBe('10.0.0.2');
    expect(configSetFrom(configs, 'shop').serviceEntries[0]?.metadata.namespace).toBe('shop');
  });
});
