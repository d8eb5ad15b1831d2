// The sockets behind active health checks: an HTTP GET of the configured path (the status decides),
// or a TCP connect with optional send/receive payloads. Each probe uses a fresh connection (never the
// traffic pools), the cluster's TLS settings and its upstream_bind_config source address.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { UpstreamTransport } from '../tls/upstream-tls-context.js';
import type { HealthCheckSettings, HttpCheckSettings, Probe, ProbeOutcome, ProbeTarget, TcpCheckSettings } from './health-checker.js';

export interface ProbeContext {
  readonly clusterName: string;
  readonly transport: UpstreamTransport;
  readonly localAddress?: string | undefined;
}

export function probeFor(settings: HealthCheckSettings, ctx: ProbeContext): Probe {
  if (ctx.transport.kind === 'unavailable') return () => Promise.resolve('network-failure');
  return settings.check.kind === 'http' ? httpProbe(settings.check, ctx) : tcpProbe(settings.check, ctx);
}

function httpProbe(check: HttpCheckSettings, ctx: ProbeContext): Probe {
  const tlsOptions = ctx.transport.kind === 'tls' ? ctx.transport.options : undefined;
  return (target: ProbeTarget, timeoutMs: number) =>
    new Promise<ProbeOutcome>((resolve) => {
      const options: https.RequestOptions = {
        host: target.address,
        port: target.port,
        method: 'GET',
        path: check.path,
        // Envoy sends the cluster name as the authority when http_health_check.host is empty.
        headers: { host: check.host || ctx.clusterName, 'user-agent': 'Envoy/HC', connection: 'close' },
        agent: false,
        ...(ctx.localAddress ? { localAddress: ctx.localAddress } : {}),
        ...(tlsOptions ?? {}),
      };
      const req = (tlsOptions ? https : http).request(options, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        resolve(check.expectedStatuses.some(([start, end]) => status >= start && status < end) ? 'healthy' : 'unhealthy');
        req.destroy();
      });
      const timer = setTimeout(() => req.destroy(new Error('health check timeout')), timeoutMs).unref();
      req.on('close', () => clearTimeout(timer));
      req.on('error', () => resolve('network-failure'));
      req.end();
    });
}

/** True when every block occurs in `data`, in order, not necessarily adjacent (Envoy's fuzzy match). */
export function containsInOrder(data: Buffer, blocks: readonly Buffer[]): boolean {
  let from = 0;
  for (const b of blocks) {
    const at = data.indexOf(b, from);
    if (at < 0) return false;
    from = at + b.length;
  }
  return true;
}

function tcpProbe(check: TcpCheckSettings, ctx: ProbeContext): Probe {
  const tlsOptions = ctx.transport.kind === 'tls' ? ctx.transport.options : undefined;
  return (target: ProbeTarget, timeoutMs: number) =>
    new Promise<ProbeOutcome>((resolve) => {
      const opts = { host: target.address, port: target.port, ...(ctx.localAddress ? { localAddress: ctx.localAddress } : {}) };
      const socket = tlsOptions ? tls.connect({ ...tlsOptions, ...opts }) : net.connect(opts);
      let settled = false;
      const done = (outcome: ProbeOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(outcome);
      };
      const timer = setTimeout(() => done('network-failure'), timeoutMs).unref();
      let received = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        received = Buffer.concat([received, d]);
        if (containsInOrder(received, check.receive)) done('healthy');
      });
      socket.once(tlsOptions ? 'secureConnect' : 'connect', () => {
        if (check.send) socket.write(check.send);
        if (check.receive.length === 0) done('healthy');
      });
      socket.on('error', () => done('network-failure'));
      socket.on('close', () => done('network-failure'));
    });
}
