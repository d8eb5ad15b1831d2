// Story: resilience through the ingress gateway, configured only by Istio YAML — route timeouts (504 UT),
// retries (URX), fault delay and abort percentages, circuit-breaker overflow (503 UO) and outlier
// ejection of a failing endpoint, over HTTP/1.1 and HTTP/2 (h2c) against real upstreams on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClient, PROTOCOLS, sendMany, type GatewayClient } from './gateway-client.js';
import { freePort, startGateway, type Gateway } from './gateway-fixture.js';
import { httpUpstream, type HttpUpstream } from './upstreams.js';

const cluster = (service: string) => `outbound|80||${service}.default.svc.cluster.local`;

function serviceEntry(name: string, ports: readonly number[]): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
${ports.map((p) => `  - {address: 127.0.0.1, ports: {http: ${p}}}`).join('\n')}
---
`;
}

function config(gatewayPort: number, u: Upstreams): string {
  const to = (service: string) => `[{destination: {host: ${service}.default.svc.cluster.local}}]`;
  return `${serviceEntry('slow', [u.slow.port])}${serviceEntry('flaky', [u.flaky.port])}${serviceEntry('broken', [u.broken.port])}${serviceEntry('fast', [u.fast.port])}${serviceEntry('guarded', [u.guarded.port])}${serviceEntry('pair', [u.healthy.port, u.failing.port])}apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: guarded, namespace: default}
spec:
  host: guarded.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: pair, namespace: default}
spec:
  host: pair.default.svc.cluster.local
  trafficPolicy:
    outlierDetection: {consecutiveErrors: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100}
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: resilience-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${gatewayPort}, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: resilience, namespace: default}
spec:
  hosts: ["*"]
  gateways: [resilience-gateway]
  http:
  - match: [{uri: {prefix: /timeout}}]
    timeout: 200ms
    route: ${to('slow')}
  - match: [{uri: {prefix: /retry/flaky}}]
    retries: {attempts: 3, retryOn: 5xx}
    route: ${to('flaky')}
  - match: [{uri: {prefix: /retry/broken}}]
    retries: {attempts: 3, retryOn: 5xx}
    route: ${to('broken')}
  - match: [{uri: {prefix: /fault/delay}}]
    fault: {delay: {fixedDelay: 300ms, percentage: {value: 50}}}
    route: ${to('fast')}
  - match: [{uri: {prefix: /fault/abort}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 30}}}
    route: ${to('fast')}
  - match: [{uri: {prefix: /guarded}}]
    route: ${to('guarded')}
  - match: [{uri: {prefix: /pair}}]
    route: ${to('pair')}
  - route: ${to('fast')}
`;
}

interface Upstreams {
  slow: HttpUpstream;
  flaky: HttpUpstream;
  broken: HttpUpstream;
  fast: HttpUpstream;
  guarded: HttpUpstream;
  healthy: HttpUpstream;
  failing: HttpUpstream;
}

let gateway: Gateway;
let client: GatewayClient;
let u: Upstreams;

beforeAll(async () => {
  u = {
    slow: await httpUpstream('slow', () => ({ delayMs: 2000 })),
    // Fails the first two attempts of each request (by x-request-id), then succeeds.
    flaky: await httpUpstream('flaky', (req, history) => ({ status: history.attempts(String(req.headers['x-request-id'])) <= 2 ? 503 : 200 })),
    broken: await httpUpstream('broken', () => ({ status: 503 })),
    fast: await httpUpstream('fast'),
    guarded: await httpUpstream('guarded', () => ({ delayMs: 300 })),
    healthy: await httpUpstream('healthy'),
    failing: await httpUpstream('failing', () => ({ status: 503 })),
  };
  const port = await freePort();
  client = gatewayClient(port, 64);
  gateway = await startGateway({ story: 'resilience', config: config(port, u), ready: async () => (await client.send('HTTP/1.1', { path: '/' })).headers['x-upstream'] === 'fast' });
}, 60_000);

afterAll(async () => {
  client?.close();
  await gateway?.stop();
  for (const up of Object.values(u ?? {})) await up.close();
});

describe.each(PROTOCOLS)('gateway resilience over %s', (protocol) => {
  it('answers 504 "upstream request timeout" when the upstream outlives the route timeout', async () => {
    const before = await gateway.stat(`cluster.${cluster('slow')}.upstream_rq_timeout`);
    const r = await client.send(protocol, { path: '/timeout' });
    expect(r.status).toBe(504);
    expect(r.body).toBe('upstream request timeout');
    // 200 ms, not the upstream's 2 s.
    expect(r.ms).toBeGreaterThanOrEqual(180);
    expect(r.ms).toBeLessThan(1500);
    // The upstream was told how long the proxy would wait.
    expect(u.slow.seen.at(-1)?.headers['x-envoy-expected-rq-timeout-ms']).toBe('200');
    expect(await gateway.stat(`cluster.${cluster('slow')}.upstream_rq_timeout`)).toBe(before + 1);
  });

  it('retries a 5xx until the upstream succeeds, and counts the retries', async () => {
    const stat = `cluster.${cluster('flaky')}.upstream_rq_retry`;
    const before = await gateway.stat(stat);
    const id = `retry-flaky-${protocol}`;
    const r = await client.send(protocol, { path: '/retry/flaky', headers: { 'x-request-id': id } });
    expect(r.status).toBe(200);
    expect(r.headers['x-upstream']).toBe('flaky');
    expect(u.flaky.attempts(id)).toBe(3);
    expect(await gateway.stat(stat)).toBe(before + 2);
  });

  it('gives up after the configured attempts and returns the last 503 (URX)', async () => {
    const stat = `cluster.${cluster('broken')}.upstream_rq_retry`;
    const before = await gateway.stat(stat);
    const id = `retry-broken-${protocol}`;
    const r = await client.send(protocol, { path: '/retry/broken', headers: { 'x-request-id': id } });
    expect(r.status).toBe(503);
    expect(r.headers['x-upstream']).toBe('broken');
    // One try and three retries.
    expect(u.broken.attempts(id)).toBe(4);
    expect(await gateway.stat(stat)).toBe(before + 3);
  });

  it('delays 50% of requests by 300 ms (±10% over 400 requests)', async () => {
    // Which requests were delayed is read from the fault filter's own counter (Envoy's
    // fault.delays_injected), not from latencies, which a loaded machine could blur.
    const delaysInjected = async () => {
      const text = await (await fetch(`http://${gateway.admin}/stats?filter=fault\\.delays_injected`)).text();
      return [...text.matchAll(/^http\.[^:]+\.fault\.delays_injected: (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await delaysInjected();
    const replies = await sendMany(client, protocol, 400, 50, () => ({ path: '/fault/delay' }));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const delayed = (await delaysInjected()) - before;
    expect(delayed / replies.length).toBeGreaterThanOrEqual(0.4);
    expect(delayed / replies.length).toBeLessThanOrEqual(0.6);
    // And a delayed request really took the delay.
    expect(replies.filter((r) => r.ms >= 300).length).toBeGreaterThanOrEqual(delayed);
  });

  it('aborts 30% of requests with the configured status (±5% over 1000 requests)', async () => {
    const replies = await sendMany(client, protocol, 1000, 50, () => ({ path: '/fault/abort' }));
    const aborted = replies.filter((r) => r.status === 503 && r.body === 'fault filter abort').length;
    expect(replies.filter((r) => r.status === 200).length + aborted).toBe(1000);
    expect(aborted / 1000).toBeGreaterThanOrEqual(0.25);
    expect(aborted / 1000).toBeLessThanOrEqual(0.35);
  });

  it('overflows the circuit breaker with 503 UO under 20 concurrent requests', async () => {
    const stat = `cluster.${cluster('guarded')}.upstream_rq_pending_overflow`;
    const before = await gateway.stat(stat);
    const seen = u.guarded.seen.length;
    const connections = u.guarded.connections();
    const replies = await Promise.all(Array.from({ length: 20 }, () => client.send(protocol, { path: '/guarded' })));
    const overflowed = replies.filter((r) => r.status === 503);
    const served = replies.filter((r) => r.status === 200);
    // One request on the one connection, one pending, the rest overflow (a few more may be served
    // if a slow client spreads the 20 over more than one upstream exchange).
    expect(overflowed.length).toBeGreaterThanOrEqual(10);
    expect(served.length).toBeGreaterThan(0);
    expect(overflowed.length + served.length).toBe(20);
    expect(overflowed[0]!.body).toBe('upstream connect error or disconnect/reset before headers. reset reason: overflow');
    expect(await gateway.stat(stat)).toBe(before + overflowed.length);
    // Overflowed requests never reach the upstream; the served ones went one at a time, each on a
    // connection of its own (maxConnections 1, maxRequestsPerConnection 1).
    expect(u.guarded.seen.length - seen).toBe(served.length);
    expect(u.guarded.peakConcurrency()).toBe(1);
    expect(u.guarded.connections() - connections).toBe(served.length);
  });
});

describe('gateway outlier detection', () => {
  const failingHost = () => `${cluster('pair')}::127.0.0.1:${u.failing.port}::health_flags::`;

  /** Sends requests until /clusters shows the failing endpoint ejected; returns how many it took. */
  async function ejectFailing(): Promise<number> {
    let sent = 0;
    await expect
      .poll(
        async () => {
          const flags = (await gateway.clusters()).split('\n').find((l) => l.startsWith(failingHost()));
          if (flags !== `${failingHost()}/failed_outlier_check`) {
            sent++;
            // Istio's default retry policy retries the 503 on the other endpoint: clients see 200.
            expect((await client.send('HTTP/1.1', { path: '/pair' })).status).toBe(200);
          }
          return flags;
        },
        { timeout: 10_000, interval: 20 },
      )
      .toBe(`${failingHost()}/failed_outlier_check`);
    return sent;
  }

  it('ejects the endpoint that fails twice in a row after a few requests (/clusters failed_outlier_check)', async () => {
    const requestsToEject = await ejectFailing();
    expect(requestsToEject).toBeGreaterThan(0);
    expect(requestsToEject).toBeLessThanOrEqual(10);
    // consecutiveErrors: 2 — the failing endpoint saw exactly two requests before its ejection.
    expect(u.failing.seen.length).toBe(2);
    expect((await gateway.clusters()).split('\n')).toContain(`${cluster('pair')}::127.0.0.1:${u.healthy.port}::health_flags::healthy`);
    expect(await gateway.stat(`cluster.${cluster('pair')}.outlier_detection.ejections_enforced_total`)).toBe(1);
  });

  it.each(PROTOCOLS)('sends all %s traffic to the healthy endpoint while the other is ejected', async (protocol) => {
    await ejectFailing();
    const failingSeen = u.failing.seen.length;
    const replies = await sendMany(client, protocol, 20, 5, () => ({ path: '/pair' }));
    expect(replies.map((r) => `${r.status} ${String(r.headers['x-upstream'])}`)).toEqual(Array(20).fill('200 healthy'));
    expect(u.failing.seen.length).toBe(failingSeen);
  });
});
