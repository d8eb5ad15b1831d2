// Readiness checks the node runs against a pod's IP, as kubelet does: httpGet (2xx or 3xx) and
// tcpSocket probes of the containers, and the sidecar's /healthz/ready on the status port.
import http from 'node:http';
import net from 'node:net';
import type { KubeContainerPort, KubeProbe } from './kube/kube-objects.js';

export function httpProbe(ip: string, port: number, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port, path, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'kube-probe/weft-local', connection: 'close' } }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}

export function tcpProbe(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** A probe's port: a number, or the name of one of the container's ports. */
export function probePort(port: number | string, ports: readonly KubeContainerPort[]): number | undefined {
  return typeof port === 'number' ? port : ports.find((p) => p.name === port)?.containerPort;
}

export function runProbe(ip: string, probe: KubeProbe, ports: readonly KubeContainerPort[]): Promise<boolean> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  if (probe.httpGet) {
    const port = probePort(probe.httpGet.port, ports);
    return port === undefined ? Promise.resolve(false) : httpProbe(ip, port, probe.httpGet.path, timeoutMs);
  }
  const port = probe.tcpSocket ? probePort(probe.tcpSocket.port, ports) : undefined;
  return port === undefined ? Promise.resolve(false) : tcpProbe(ip, port, timeoutMs);
}
