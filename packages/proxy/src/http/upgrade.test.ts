import { describe, expect, it } from 'vitest';
import type { RouteDecision } from '../router/index.js';
import { upgradeEnabled } from './upgrade.js';

const forward = (upgradeConfigs?: [string, boolean][]): RouteDecision => ({ kind: 'forward', ...(upgradeConfigs ? { upgradeConfigs: new Map(upgradeConfigs) } : {}) }) as unknown as RouteDecision;

describe('upgradeEnabled (Envoy createUpgradeFilterChain)', () => {
  it.each([
    ['HCM enables, route silent', ['websocket'], undefined, true],
    ['HCM enables, route disables', ['websocket'], false, false],
    ['HCM enables, route enables', ['websocket'], true, true],
    ['HCM disables or omits, route enables', [], true, true],
    ['HCM disables or omits, route silent', [], undefined, false],
    ['HCM disables or omits, route disables', [], false, false],
  ] as const)('%s → %s', (_what, hcm, route, expected) => {
    const decision = forward(route === undefined ? undefined : [['websocket', route]]);
    expect(upgradeEnabled('websocket', new Set(hcm), decision)).toBe(expected);
  });

  it('leaves a request without a forward route to the connection manager', () => {
    expect(upgradeEnabled('websocket', new Set(['websocket']), { kind: 'no-route' })).toBe(true);
    expect(upgradeEnabled('websocket', new Set(), { kind: 'no-route' })).toBe(false);
  });

  it('reads the route entry of the request\'s upgrade type only', () => {
    expect(upgradeEnabled('websocket', new Set(['websocket']), forward([['h2c', false]]))).toBe(true);
  });
});
