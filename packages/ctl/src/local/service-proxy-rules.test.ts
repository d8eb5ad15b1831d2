import { describe, expect, it } from 'vitest';
import { serviceProxyRules } from './service-proxy-rules.js';

describe('service proxy rules', () => {
  it('spreads a VIP over its endpoints with equal probability and rejects a VIP with none', () => {
    const rules = serviceProxyRules([
      { vip: '10.96.0.10', ports: [{ name: 'http', port: 3002, targetPort: 'http' }], endpoints: [1, 2, 3].map((i) => ({ ip: `10.244.0.${i + 1}`, targetPorts: new Map([[3002, 3002]]) })) },
      { vip: '10.96.0.11', ports: [{ name: 'tcp', port: 9000, targetPort: 9000 }], endpoints: [] },
    ], '10.244.0.0/16').split('\n');
    const dnat = rules.filter((l) => l.includes('-j DNAT'));
    expect(dnat).toEqual([
      '-A WEFT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 3002 -m statistic --mode random --probability 0.3333333333 -j DNAT --to-destination 10.244.0.2:3002',
      '-A WEFT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 3002 -m statistic --mode random --probability 0.5000000000 -j DNAT --to-destination 10.244.0.3:3002',
      '-A WEFT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 3002 -j DNAT --to-destination 10.244.0.4:3002',
    ]);
    expect(rules).toContain('-A WEFT-SERVICES -d 10.96.0.11/32 -p tcp -m tcp --dport 9000 -j REJECT --reject-with tcp-reset');
    expect(rules).toContain('-A POSTROUTING -s 10.244.0.0/16 -m conntrack --ctstate DNAT -j MASQUERADE');
    expect(rules.filter((l) => l === 'COMMIT')).toHaveLength(2);
  });
});
