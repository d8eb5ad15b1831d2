// The "accepted, not enforced" rule, as an operator sees it: a field that only changes observability is
// accepted, logged with its path, and counted in config.accepted_not_enforced (docs/components/proxy.md).
import { afterEach, describe, expect, it } from 'vitest';
import { routeConfig, startRouterProxy, type RouterProxy } from './fixtures/router-proxy.js';

const proxies: RouterProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.stop();
});

describe('config.accepted_not_enforced', () => {
  it('counts each accepted-not-enforced field of the applied listeners', async () => {
    const plain = await startRouterProxy({ clusters: {}, routeConfig: routeConfig([{ match: { prefix: '/' }, direct_response: { status: 200 } }]) });
    proxies.push(plain);
    expect((await plain.stat('config.accepted_not_enforced')) ?? 0).toBe(0);
    // tracing and request_id_extension: observability only (no tracer; the UUID request id is always used).
    const traced = await startRouterProxy({
      clusters: {},
      routeConfig: routeConfig([{ match: { prefix: '/' }, direct_response: { status: 200 } }]),
      hcm: { tracing: {}, request_id_extension: { typed_config: { '@type': 'type.googleapis.com/envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig' } } },
    });
    proxies.push(traced);
    expect(await traced.stat('config.accepted_not_enforced')).toBe(2);
  });
});
