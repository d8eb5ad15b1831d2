// The node process of `weftctl local up`: started by `up` inside the node's network namespace (with
// `nsenter --net`, so it shares the host's mounts), it sets up the pod network, runs Pilot and the
// pods, publishes the ingress gateway on the host sockets `up` handed it, serves the control socket,
// and on SIGINT/SIGTERM or `down` drains everything and exits. `up` then removes what is left.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@weft/base';
import { LocalCluster, GATEWAY_NAME } from './cluster.js';
import { ConfigWriter } from './config-writer.js';
import { serveControl, type ApplyRequest, type ApplyResponse, type StatusReport } from './control-api.js';
import type { ImageMap } from './image-map.js';
import { IngressForwarder, type Published } from './ingress-forwarder.js';
import { AddressPool, type Cidr } from './ipam.js';
import { defaultPilotMesh } from './kube/mesh-config-map.js';
import { checkImages, checkMeshConfigUnchanged, validateManifestText, type ManifestSet, type MeshConfigInput } from './manifests.js';
import { NodeNetwork } from './node-network.js';
import { PilotClient } from './pilot-client.js';
import { PlatformState, statePaths } from './platform-state.js';
import type { Binaries } from './pod-plan.js';
import { formatIssue } from '@weft/api';

export interface NodeOptions {
  readonly stateDir: string;
  readonly nodeNetns: string;
  readonly podCidr: Cidr;
  readonly serviceCidr: Cidr;
  readonly domain: string;
  readonly binaries: Binaries;
  readonly imageMaps: readonly ImageMap[];
  readonly readCaps: readonly string[];
  readonly published: readonly Published[];
  readonly initial: Pick<ManifestSet, 'kube' | 'istio' | 'meshConfig'>;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Human progress lines (stdout). */
  readonly say: (line: string) => void;
}

interface PilotHandle {
  readonly child: ChildProcess;
  readonly grpc: string;
  readonly http: string;
  readonly log: NodeJS.WritableStream;
}

/**
 * Starts pilot-discovery in this (the node's) namespace and resolves with the addresses it logged.
 * `meshFile` is the istio ConfigMap's data.mesh; without it Pilot runs with Istio 1.3's defaults.
 */
function startPilot(o: NodeOptions, nodeIp: string, configDir: string, meshFile: string | undefined, logFile: string): Promise<PilotHandle> {
  const args = [o.binaries.pilotDiscovery, 'discovery', '--configDir', configDir, ...(meshFile ? ['--meshConfig', meshFile] : []), '--grpcAddr', `${nodeIp}:15010`, '--httpAddr', `${nodeIp}:8080`, '--monitoringAddr', `${nodeIp}:15014`, '--domain', o.domain];
  const child = spawn(o.binaries.node, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  const addresses: Record<string, string> = {};
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`pilot-discovery did not start in 30 s (log: ${logFile})`)), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pilot-discovery exited with ${code} (log: ${logFile})`));
    });
    child.stderr!.on('data', (d: Buffer) => {
      log.write(d);
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; address?: string };
          if (entry.address && entry.msg) addresses[entry.msg] = entry.address.replace(/^https?:\/\//, '');
        } catch {
          // not a log line
        }
      }
      const grpc = addresses['ADS (gRPC) listening'];
      const http = addresses['debug HTTP listening'];
      if (grpc && http) {
        clearTimeout(timer);
        resolve({ child, grpc, http, log });
      }
    });
  });
}

export async function runNode(o: NodeOptions): Promise<number> {
  const paths = statePaths(o.stateDir);
  const state = PlatformState.open(o.stateDir);
  if (!state) throw new Error(`no platform state in ${o.stateDir}`);
  state.update((d) => (d.innerPid = process.pid));
  for (const dir of [paths.pods, paths.logs]) mkdirSync(dir, { recursive: true, mode: 0o755 });
  const nodeIp = new AddressPool(o.podCidr).host(1);
  const network = new NodeNetwork({ state, nodeNetns: o.nodeNetns, nodeIp, prefixLength: o.podCidr.bits });
  await network.setup();
  const config = new ConfigWriter(paths.pilotConfig);
  await config.init();
  const initialMesh = o.initial.meshConfig?.configMap;
  if (initialMesh) await writeFile(paths.pilotMesh, initialMesh.mesh, { mode: 0o644 });
  const pilot = await startPilot(o, nodeIp, paths.pilotConfig, initialMesh ? paths.pilotMesh : undefined, join(paths.logs, 'pilot-discovery.log'));
  o.say(`pilot-discovery: xDS ${pilot.grpc}, debug http://${pilot.http}/debug/${initialMesh ? `; mesh config from ConfigMap ${initialMesh.metadata.namespace}/${initialMesh.metadata.name}` : ''}`);
  const runningMesh = initialMesh?.meshConfig ?? defaultPilotMesh();
  const pilotClient = new PilotClient(pilot.http);
  const cluster = new LocalCluster({
    nodeNetns: o.nodeNetns,
    network,
    podCidr: o.podCidr,
    serviceCidr: o.serviceCidr,
    domain: o.domain,
    binaries: o.binaries,
    imageMaps: o.imageMaps,
    readCaps: o.readCaps,
    pilot: pilotClient,
    pilotGrpcAddress: pilot.grpc,
    pilotHttpAddress: pilot.http,
    config,
    podsDir: paths.pods,
    logsDir: paths.logs,
    logger: o.logger,
  });
  const forwarder = new IngressForwarder(o.published, () => cluster.gatewayIp(), o.logger);
  let ready = false;
  let stopRequested: () => void = () => undefined;
  const stop = new Promise<void>((resolve) => (stopRequested = resolve));
  process.on('SIGINT', () => stopRequested());
  process.on('SIGTERM', () => stopRequested());
  const status = (): StatusReport => ({
    pods: cluster.podStatus(),
    services: cluster.serviceStatus(),
    published: o.published.map((p) => `${p.hostAddress} -> ${GATEWAY_NAME}:${p.port}`),
    pilot: { grpc: pilot.grpc, http: pilot.http },
    ready,
  });
  const apply = async (req: ApplyRequest): Promise<ApplyResponse> => {
    const kube = [];
    const istio = [];
    const meshes: MeshConfigInput[] = [];
    const errors: string[] = [];
    for (const f of req.files) {
      const r = validateManifestText(f.text, f.source, req.namespace);
      errors.push(...r.errors.map(formatIssue));
      kube.push(...r.kube);
      istio.push(...r.istio);
      if (r.meshConfig) meshes.push(r.meshConfig);
    }
    errors.push(...checkImages({ kube }, o.imageMaps).map(formatIssue));
    for (const m of meshes) {
      const changed = checkMeshConfigUnchanged(m, runningMesh);
      if (changed) errors.push(formatIssue(changed));
    }
    if (errors.length > 0) return { ok: false, lines: [], errors };
    try {
      const { lines, generations } = await cluster.apply(kube, istio);
      for (const m of meshes) lines.push(`configmap/${m.configMap.metadata.name} (${m.configMap.metadata.namespace}) unchanged`);
      if (req.wait) {
        await cluster.waitRollouts(req.timeoutMs, kube.filter((k) => k.kind === 'Deployment').map((k) => `Deployment/${k.metadata.namespace}/${k.metadata.name}`));
        const proxies = await cluster.waitPushed(generations, req.timeoutMs);
        lines.push(`pushed to ${proxies} prox${proxies === 1 ? 'y' : 'ies'}`);
      }
      return { ok: true, lines, errors: [] };
    } catch (e) {
      return { ok: false, lines: [], errors: [(e as Error).message] };
    }
  };
  const control = await serveControl(paths.socket, { status, apply, shutdown: () => stopRequested() });
  let code = 0;
  try {
    const starting = (async () => {
      const { generations } = await cluster.apply(o.initial.kube, o.initial.istio);
      await cluster.waitRollouts(o.timeoutMs);
      await cluster.waitPushed(generations, o.timeoutMs);
      return true;
    })();
    // A stop during start-up ends the waits (they throw once the cluster is stopping).
    starting.catch(() => undefined);
    if (await Promise.race([starting, stop.then(() => false)])) {
      await forwarder.start();
      ready = true;
      const pods = cluster.podStatus();
      o.say(`${pods.length} pods ready, ${cluster.serviceStatus().length} services; every proxy has its config`);
      for (const p of o.published) o.say(`published ${p.hostAddress} -> ${GATEWAY_NAME}:${p.port}`);
      o.say('ready (Ctrl-C or `weftctl local down` stops it)');
      await stop;
    }
  } catch (e) {
    o.say(`failed: ${(e as Error).message}`);
    code = 1;
  }
  o.say('stopping: draining pods');
  await forwarder.stop();
  await cluster.stop();
  pilot.child.kill('SIGTERM');
  await new Promise<void>((r) => {
    if (pilot.child.exitCode !== null) return r();
    const t = setTimeout(() => (pilot.child.kill('SIGKILL'), r()), 5000);
    pilot.child.once('exit', () => (clearTimeout(t), r()));
  });
  control.closeAllConnections();
  await new Promise<void>((r) => control.close(() => r()));
  pilot.log.end();
  return code;
}
