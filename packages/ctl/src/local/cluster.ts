// The local platform's node: it plays kubelet (pods as network namespaces), the Deployment
// controller (rolling updates), the endpoints controller (the registry handed to Pilot), cluster DNS
// (per-pod hosts files) and kube-proxy (VIP rules for pods without a sidecar), and runs the control
// plane. It runs inside the node network namespace, where the pod network's bridge is.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { IstioConfig } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { ConfigWriter, GENERATION_ANNOTATION, objectKey, type WrittenObject } from './config-writer.js';
import { hostsFile, type HostsEntry } from './hosts-file.js';
import { AddressPool, type Cidr } from './ipam.js';
import type { ImageMap } from './image-map.js';
import { kubeKey, selects, type KubeDeployment, type KubeNamespace, type KubeObject, type KubeService } from './kube/kube-objects.js';
import type { NodeNetwork } from './node-network.js';
import { waitConverged, type PilotClient } from './pilot-client.js';
import { podDirs, podKey, type PodDirs } from './pod-dirs.js';
import { injectionWanted, podPlan, sidecarPlan, type Binaries, type PlanContext, type PodIdentity, type PodPlan } from './pod-plan.js';
import { PodRunner } from './pod-runner.js';
import { serviceEntry, targetPortOn, workloadEntry, type RegistryService } from './registry-entries.js';
import { rolloutStep } from './rollout.js';
import { serviceProxyRules } from './service-proxy-rules.js';

export const GATEWAY_NAMESPACE = 'istio-system';
export const GATEWAY_NAME = 'istio-ingressgateway';
/** The ingress gateway's Service ports (Istio 1.3's istio-ingressgateway: http2, https, tcp). */
export const GATEWAY_PORTS = [
  { name: 'http2', port: 80, targetPort: 80 },
  { name: 'https', port: 443, targetPort: 443 },
  { name: 'tcp', port: 31400, targetPort: 31400 },
];

export interface ClusterOptions {
  readonly nodeNetns: string;
  readonly network: NodeNetwork;
  readonly podCidr: Cidr;
  readonly serviceCidr: Cidr;
  readonly domain: string;
  readonly binaries: Binaries;
  readonly imageMaps: readonly ImageMap[];
  readonly readCaps: readonly string[];
  readonly pilot: PilotClient;
  readonly pilotGrpcAddress: string;
  readonly pilotHttpAddress: string;
  readonly config: ConfigWriter;
  readonly podsDir: string;
  readonly logsDir: string;
  readonly logger: Logger;
}

interface DeploymentState {
  readonly obj: KubeDeployment;
  readonly hash: string;
  /** The built-in ingress gateway: pilot-agent as a router, no app container. */
  readonly gateway?: boolean;
}

interface PodState {
  readonly runner: PodRunner;
  readonly deployment: string;
  readonly hash: string;
  readonly createdAt: number;
  readySince?: number;
  terminating: boolean;
}

export interface PodStatus {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly ready: string;
  readonly status: string;
  readonly restarts: number;
  readonly sidecar: boolean;
  readonly netns: string;
  readonly deployment: string;
  /** App container names (the sidecar, when injected, is `istio-proxy`). */
  readonly containers: readonly string[];
}

export interface ServiceStatus {
  readonly namespace: string;
  readonly name: string;
  readonly vip: string;
  readonly ports: readonly { name: string; port: number; targetPort: number | string }[];
}

function templateHash(d: KubeDeployment): string {
  return createHash('sha256').update(JSON.stringify(d.spec.template)).digest('hex').slice(0, 10);
}

export class LocalCluster {
  private readonly log: Logger;
  private readonly namespaces = new Map<string, KubeNamespace>();
  private readonly services = new Map<string, { obj: KubeService; vip: string }>();
  private readonly deployments = new Map<string, DeploymentState>();
  private readonly pods = new Map<string, PodState>();
  private readonly istio = new Map<string, IstioConfig>();
  private readonly podIps: AddressPool;
  private readonly vips: AddressPool;
  private registryWritten = new Map<string, string>();
  private reconciling: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly changeWaiters = new Set<() => void>();

  constructor(private readonly options: ClusterOptions) {
    this.log = moduleLogger(options.logger, 'local.cluster');
    this.podIps = new AddressPool(options.podCidr, 1);
    this.podIps.claim(options.network.nodeIp);
    this.vips = new AddressPool(options.serviceCidr, 9);
    this.addBuiltins();
  }

  /** istio-system with the ingress gateway (a Deployment of pilot-agent as router) and its Service. */
  private addBuiltins(): void {
    const meta = (name: string, labels: Record<string, string> = {}) => ({ name, namespace: GATEWAY_NAMESPACE, labels, annotations: {} });
    this.namespaces.set(GATEWAY_NAMESPACE, { kind: 'Namespace', metadata: { name: GATEWAY_NAMESPACE, namespace: '', labels: {}, annotations: {} } });
    const labels = { app: GATEWAY_NAME, istio: 'ingressgateway' };
    const gw: KubeDeployment = {
      kind: 'Deployment',
      metadata: meta(GATEWAY_NAME, labels),
      spec: {
        replicas: 1,
        selector: labels,
        template: { metadata: { labels, annotations: {} }, spec: { containers: [], serviceAccountName: 'istio-ingressgateway-service-account', terminationGracePeriodSeconds: 30 } },
        strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
        minReadySeconds: 0,
      },
    };
    this.deployments.set(kubeKey(gw), { obj: gw, hash: templateHash(gw), gateway: true });
    const svc: KubeService = { kind: 'Service', metadata: meta(GATEWAY_NAME, labels), spec: { selector: labels, ports: GATEWAY_PORTS } };
    this.services.set(kubeKey(svc), { obj: svc, vip: this.vips.allocate() });
  }

  /** Adds or replaces objects; returns one line per object, as kubectl apply prints. */
  async apply(kube: readonly KubeObject[], istio: readonly IstioConfig[]): Promise<{ lines: string[]; generations: Map<string, string> }> {
    const lines: string[] = [];
    for (const o of kube) {
      const key = kubeKey(o);
      let verb = 'created';
      switch (o.kind) {
        case 'Namespace':
          verb = this.namespaces.has(o.metadata.name) ? 'configured' : 'created';
          this.namespaces.set(o.metadata.name, o);
          break;
        case 'ServiceAccount':
          break;
        case 'Service': {
          const existing = this.services.get(key);
          verb = existing ? 'configured' : 'created';
          let vip = existing?.vip;
          if (o.spec.clusterIP && o.spec.clusterIP !== vip) {
            if (existing) throw new Error(`Service ${key}: spec.clusterIP cannot change (it is ${vip})`);
            if (!this.vips.claim(o.spec.clusterIP)) throw new Error(`Service ${key}: spec.clusterIP ${o.spec.clusterIP} is not free in ${this.options.serviceCidr.text}`);
            vip = o.spec.clusterIP;
          }
          this.services.set(key, { obj: o, vip: vip ?? this.vips.allocate() });
          break;
        }
        case 'Deployment': {
          const existing = this.deployments.get(key);
          const hash = templateHash(o);
          verb = !existing ? 'created' : existing.hash === hash && existing.obj.spec.replicas === o.spec.replicas ? 'unchanged' : 'configured';
          this.deployments.set(key, { obj: o, hash });
          break;
        }
      }
      lines.push(`${o.kind.toLowerCase()}/${o.metadata.name}${o.metadata.namespace ? ` (${o.metadata.namespace})` : ''} ${verb}`);
    }
    const written: WrittenObject[] = [];
    for (const c of istio) {
      const key = objectKey(c);
      lines.push(`${c.kind.toLowerCase()}.${c.apiVersion.split('/')[0]}/${c.metadata.name} (${c.metadata.namespace ?? ''}) ${this.istio.has(key) ? 'configured' : 'created'}`);
      this.istio.set(key, c);
      written.push(c as unknown as WrittenObject);
    }
    const generations = await this.options.config.put('istio', written);
    await this.syncNetworkConfig();
    this.reconcileSoon();
    return { lines, generations };
  }

  /** Waits until Pilot has pushed `generations` (and the current registry) to every proxy. */
  async waitPushed(generations: ReadonlyMap<string, string>, timeoutMs: number): Promise<number> {
    return waitConverged(this.options.pilot, generations, GENERATION_ANNOTATION, timeoutMs, () => this.stopped);
  }

  /** Resolves when every Deployment's rollout is complete and every pod is ready, or throws at the deadline. */
  async waitRollouts(timeoutMs: number, keys?: readonly string[]): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.stopped) throw new Error('the platform is stopping');
      const pending = [...this.deployments.entries()].filter(([k]) => !keys || keys.includes(k)).filter(([k, d]) => !rolloutStep(d.obj.spec, d.hash, this.rolloutPods(k)).complete);
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        const failed = [...this.pods.values()].filter((p) => p.runner.phase === 'Failed').map((p) => `${p.runner.namespace}/${p.runner.name}: ${p.runner.reason}`);
        throw new Error(`rollout of ${pending.map(([k]) => k.replace(/^Deployment\//, '')).join(', ')} not complete after ${timeoutMs} ms${failed.length ? `; failed pods: ${failed.join('; ')}` : ''}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => done(), Math.min(1000, Math.max(1, deadline - Date.now())));
        const done = () => {
          clearTimeout(t);
          this.changeWaiters.delete(done);
          resolve();
        };
        this.changeWaiters.add(done);
      });
    }
  }

  private changed(): void {
    for (const w of [...this.changeWaiters]) w();
    this.reconcileSoon();
  }

  private rolloutPods(deployment: string) {
    return [...this.pods.values()]
      .filter((p) => p.deployment === deployment && p.runner.phase !== 'Gone')
      .map((p) => ({ name: p.runner.name, hash: p.hash, terminating: p.terminating, available: this.available(p), createdAt: p.createdAt }));
  }

  private available(p: PodState): boolean {
    const d = this.deployments.get(p.deployment);
    return p.runner.ready && !p.terminating && p.readySince !== undefined && Date.now() - p.readySince >= (d?.obj.spec.minReadySeconds ?? 0) * 1000;
  }

  reconcileSoon(): void {
    if (this.stopped) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = this.reconcile().finally(() => {
      this.reconciling = undefined;
      if (this.again) {
        this.again = false;
        this.reconcileSoon();
      }
    });
  }

  private async reconcile(): Promise<void> {
    try {
      // Pods whose Deployment is gone would be terminated here; Deployments are never deleted yet.
      for (const [key, d] of this.deployments) {
        const step = rolloutStep(d.obj.spec, d.hash, this.rolloutPods(key));
        for (let i = 0; i < step.create; i++) this.createPod(key, d);
        for (const name of step.terminate) {
          const p = this.pods.get(`${d.obj.metadata.namespace}/${name}`);
          if (p) void this.terminatePod(p);
        }
      }
      await this.syncNetworkConfig();
    } catch (e) {
      this.log.error({ err: e }, 'reconcile failed');
    }
  }

  private planContext(dirs: PodDirs): PlanContext {
    return {
      binaries: this.options.binaries,
      imageMaps: this.options.imageMaps,
      domain: this.options.domain,
      proxyConfigDir: dirs.proxyConfig,
      proxyWorkDir: dirs.sidecarWork,
      readCaps: this.options.readCaps,
      discoveryAddress: `istio-pilot.istio-system:${this.options.pilotGrpcAddress.split(':').pop()}`,
      pilotDebugAddress: `istio-pilot.istio-system:${this.options.pilotHttpAddress.split(':').pop()}`,
    };
  }

  private createPod(deploymentKey: string, d: DeploymentState): void {
    const { metadata, spec } = d.obj;
    const name = `${metadata.name}-${d.hash.slice(0, 8)}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const ip = this.podIps.allocate();
    const id: PodIdentity = {
      name,
      namespace: metadata.namespace,
      ip,
      nodeIp: this.options.network.nodeIp,
      labels: spec.template.metadata.labels,
      annotations: spec.template.metadata.annotations,
      serviceAccount: spec.template.spec.serviceAccountName,
      owner: metadata.name,
    };
    const ctx = this.planContext(podDirs(this.options.podsDir, metadata.namespace, name));
    let plan: PodPlan | undefined;
    let errors: string[] = [];
    if (d.gateway) {
      const router = sidecarPlan(id, [], ctx, 'router', 15020);
      if (typeof router === 'string') errors = [`container istio-proxy: ${router}`];
      else plan = { identity: id, injected: false, containers: [], sidecar: router };
    } else {
      const injected = injectionWanted(this.namespaces.get(metadata.namespace)?.metadata.labels ?? {}, spec.template.metadata.annotations);
      ({ plan, errors } = podPlan(id, spec.template.spec.containers, injected, ctx));
    }
    if (!plan) {
      this.log.error({ pod: name, errors }, 'pod cannot run');
      this.podIps.release(ip);
      return;
    }
    const netns = podKey(metadata.namespace, name);
    const state: PodState = {
      deployment: deploymentKey,
      hash: d.hash,
      createdAt: Date.now(),
      terminating: false,
      runner: new PodRunner({
        plan,
        netns,
        network: this.options.network,
        logDir: join(this.options.logsDir, `${metadata.namespace}_${name}`),
        hosts: () => this.hostsFor(id),
        logger: this.options.logger,
        terminationGraceSeconds: spec.template.spec.terminationGracePeriodSeconds,
        onChange: () => {
          if (state.runner.ready && state.readySince === undefined) state.readySince = Date.now();
          if (!state.runner.ready) state.readySince = undefined;
          if (state.runner.phase === 'Gone') {
            this.pods.delete(`${metadata.namespace}/${name}`);
            this.hostsWritten.delete(netns);
            this.podIps.release(ip);
          }
          void this.syncNetworkConfig().finally(() => this.changed());
        },
      }),
    };
    this.pods.set(`${metadata.namespace}/${name}`, state);
    this.log.info({ pod: `${metadata.namespace}/${name}`, ip, deployment: deploymentKey }, 'creating pod');
    void state.runner.start();
  }

  /** Out of the endpoints first (the registry write reaches Pilot), then the pod's graceful termination. */
  private async terminatePod(p: PodState): Promise<void> {
    if (p.terminating) return;
    p.terminating = true;
    await this.syncNetworkConfig();
    await p.runner.terminate();
  }

  private hostsFor(pod: { name: string; namespace: string; ip: string }): string {
    const entries: HostsEntry[] = [...this.services.values()].map((s) => ({ ip: s.vip, name: s.obj.metadata.name, namespace: s.obj.metadata.namespace }));
    entries.push({ ip: this.options.network.nodeIp, name: 'istio-pilot', namespace: 'istio-system' });
    return hostsFile(pod, entries, this.options.domain);
  }

  /** Pods that belong in the endpoints: running, ready, not terminating. */
  private endpointPods(): PodState[] {
    return [...this.pods.values()].filter((p) => p.runner.phase === 'Running' && p.runner.ready && !p.terminating);
  }

  private syncing: Promise<void> = Promise.resolve();
  private readonly hostsWritten = new Map<string, string>();
  private rulesWritten = '';

  /** The registry files, the hosts files and the VIP rules, brought in line with services and pods (serialized). */
  syncNetworkConfig(): Promise<void> {
    this.syncing = this.syncing.then(() => this.doSync()).catch((e: unknown) => this.log.error({ err: e }, 'network config sync failed'));
    return this.syncing;
  }

  private async doSync(): Promise<void> {
    const services: RegistryService[] = [...this.services.values()].map((s) => ({ name: s.obj.metadata.name, namespace: s.obj.metadata.namespace, vip: s.vip, selector: s.obj.spec.selector, ports: s.obj.spec.ports, annotations: s.obj.metadata.annotations }));
    const ready = this.endpointPods().map((p) => ({ state: p, reg: { name: p.runner.name, namespace: p.runner.namespace, ip: p.runner.ip, labels: p.runner.options.plan.identity.labels, serviceAccount: p.runner.options.plan.identity.serviceAccount, containerPorts: p.runner.options.plan.containers.flatMap((c) => c.ports) } }));
    const desired = new Map<string, WrittenObject>();
    for (const s of services) {
      const o = serviceEntry(s, this.options.domain) as unknown as WrittenObject;
      desired.set(objectKey(o), o);
    }
    for (const { reg } of ready) {
      const selecting = services.filter((s) => s.namespace === reg.namespace && selects(s.selector, reg.labels));
      if (selecting.length === 0) continue;
      const o = workloadEntry(reg, selecting) as unknown as WrittenObject;
      desired.set(objectKey(o), o);
    }
    const changed = [...desired.entries()].filter(([k, o]) => this.registryWritten.get(k) !== JSON.stringify(o));
    const removed = [...this.registryWritten.keys()].filter((k) => !desired.has(k));
    if (changed.length > 0) await this.options.config.put('registry', changed.map(([, o]) => o));
    if (removed.length > 0) {
      await this.options.config.remove(
        'registry',
        removed.map((k) => {
          const [kind, namespace, name] = k.split('/');
          return { kind: kind as string, metadata: { namespace: namespace as string, name: name as string } };
        }),
      );
    }
    this.registryWritten = new Map([...desired.entries()].map(([k, o]) => [k, JSON.stringify(o)]));
    for (const p of this.pods.values()) {
      if (p.runner.phase !== 'Running') continue;
      const content = this.hostsFor(p.runner.options.plan.identity);
      if (this.hostsWritten.get(p.runner.options.netns) === content) continue;
      await this.options.network.writeHosts(p.runner.options.netns, content);
      this.hostsWritten.set(p.runner.options.netns, content);
    }
    const routes = services.map((s) => ({
      vip: s.vip,
      ports: s.ports,
      endpoints: ready
        .filter(({ reg }) => reg.namespace === s.namespace && selects(s.selector, reg.labels))
        .map(({ reg }) => ({ ip: reg.ip, targetPorts: new Map(s.ports.flatMap((p) => { const t = targetPortOn(reg, p); return t === undefined ? [] : [[p.port, t] as [number, number]]; })) })),
    }));
    const rules = serviceProxyRules(routes, this.options.podCidr.text);
    if (rules !== this.rulesWritten) {
      await this.options.network.applyServiceRules(rules);
      this.rulesWritten = rules;
    }
  }

  /** The ingress gateway pod's IP (for the host forwarders), if it is running. */
  gatewayIp(): string | undefined {
    return [...this.pods.values()].find((p) => p.runner.namespace === GATEWAY_NAMESPACE && p.runner.options.plan.identity.labels['istio'] === 'ingressgateway' && p.runner.phase === 'Running' && !p.terminating)?.runner.ip;
  }

  podStatus(): PodStatus[] {
    return [...this.pods.values()]
      .map((p) => {
        const rc = p.runner.readyCount();
        const status = p.terminating ? 'Terminating' : p.runner.phase;
        return { namespace: p.runner.namespace, name: p.runner.name, ip: p.runner.ip, ready: `${rc.ready}/${rc.total}`, status, restarts: p.runner.restarts(), sidecar: p.runner.options.plan.injected, netns: p.runner.options.netns, deployment: p.deployment.replace(/^Deployment\/[^/]+\//, ''), containers: p.runner.options.plan.containers.map((c) => c.name) };
      })
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  serviceStatus(): ServiceStatus[] {
    return [...this.services.values()]
      .map((s) => ({ namespace: s.obj.metadata.namespace, name: s.obj.metadata.name, vip: s.vip, ports: s.obj.spec.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort })) }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /** Every pod out of the endpoints at once, then every pod terminated (drained) in parallel. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of [...this.changeWaiters]) w();
    const all = [...this.pods.values()];
    for (const p of all) p.terminating = true;
    await this.syncNetworkConfig();
    await Promise.all(all.map((p) => p.runner.terminate()));
  }
}
