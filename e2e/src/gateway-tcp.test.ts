// Story: a TCP server on the ingress gateway (Gateway protocol TCP, VirtualService `tcp` route with
// weights), configured only by Istio YAML, proxying real connections to TCP echo servers on 127.0.0.1.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startGateway, type Gateway } from './gateway-fixture.js';
import { tcpEcho, type TcpEcho } from './upstreams.js';

function serviceEntry(name: string, port: number): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9000, name: tcp, protocol: TCP}]
  endpoints:
  - {address: 127.0.0.1, ports: {tcp: ${port}}}
---
`;
}

function config(gatewayPort: number, a: TcpEcho, b: TcpEcho): string {
  return `${serviceEntry('echo-a', a.port)}${serviceEntry('echo-b', b.port)}apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: tcp-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${gatewayPort}, name: tcp, protocol: TCP}
    bind: 127.0.0.1
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: ["*"]
  gateways: [tcp-gateway]
  tcp:
  - match: [{port: ${gatewayPort}}]
    route:
    - {destination: {host: echo-a.default.svc.cluster.local, port: {number: 9000}}, weight: 80}
    - {destination: {host: echo-b.default.svc.cluster.local, port: {number: 9000}}, weight: 20}
`;
}

/** Opens a connection through the gateway, sends `message`, and returns the first answer. */
function exchange(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to ${message}`)), 5000);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(message));
    socket.on('data', (d: string) => {
      answer += d;
      if (answer.endsWith(message)) socket.end();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

let gateway: Gateway;
let a: TcpEcho;
let b: TcpEcho;
let port = 0;

beforeAll(async () => {
  a = await tcpEcho('a');
  b = await tcpEcho('b');
  port = await freePort();
  gateway = await startGateway({ story: 'tcp', config: config(port, a, b), ready: async () => /^[ab]:ready$/.test(await exchange(port, 'ready')) });
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await a?.close();
  await b?.close();
});

describe('gateway TCP proxy', () => {
  it('pipes bytes both ways to the chosen upstream', async () => {
    const answer = await exchange(port, 'hello over tcp');
    expect(answer).toMatch(/^[ab]:hello over tcp$/);
  });

  it('splits connections 80/20 by weight within ±5% over 1000 connections', async () => {
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 1000; i += 25) {
      const answers = await Promise.all(Array.from({ length: 25 }, (_, j) => exchange(port, `n${i + j}`)));
      answers.forEach((answer, j) => {
        expect(answer.endsWith(`:n${i + j}`)).toBe(true);
        counts[answer.slice(0, 1) as 'a' | 'b']++;
      });
    }
    expect(counts.a + counts.b).toBe(1000);
    expect(counts.a / 1000).toBeGreaterThanOrEqual(0.75);
    expect(counts.a / 1000).toBeLessThanOrEqual(0.85);
  });

  it('counts the proxied connections per upstream cluster', async () => {
    const stat = (name: string) => gateway.stat(`cluster.outbound|9000||${name}.default.svc.cluster.local.upstream_cx_total`);
    const before = (await stat('echo-a')) + (await stat('echo-b'));
    await Promise.all(Array.from({ length: 10 }, (_, i) => exchange(port, `count${i}`)));
    expect((await stat('echo-a')) + (await stat('echo-b'))).toBe(before + 10);
  });
});
