// What runs in a pod, decided before anything starts (pure): Istio's injection decision, the capture
// step (istio-init's `pilot-agent istio-iptables` flags from the traffic annotations), the sidecar
// (pilot-agent with the injector's arguments and environment) and each app container's command and
// environment. The runtime (pod-runner.ts) only executes this plan.
import type { KubeContainer, KubeContainerPort, KubeProbe } from './kube/kube-objects.js';
import { resolveCommand, type ImageMap } from './image-map.js';
import { lookupImage } from './image-map.js';
import { sdsSocketProblem } from './pod-dirs.js';

export const PROXY_UID = 1337;
/** Apps run as `nobody`, never as the proxy's uid (whose traffic the capture lets through). */
export const APP_UID = 65534;
export const STATUS_PORT = 15020;

export interface Binaries {
  readonly node: string;
  readonly pilotDiscovery: string;
  readonly pilotAgent: string;
  readonly weftProxy: string;
}

export interface PodIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
  readonly nodeIp: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** The Deployment that owns the pod. */
  readonly owner: string;
}

export interface ProcessPlan {
  readonly name: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly uid: number;
  /** Ambient capabilities (e.g. net_bind_service for a gateway on port 80). */
  readonly caps: readonly string[];
}

export interface ContainerPlan extends ProcessPlan {
  readonly ports: readonly KubeContainerPort[];
  readonly readinessProbe?: KubeProbe;
}

export interface SidecarPlan extends ProcessPlan {
  /** pilot-agent's --configPath (owned by the proxy's user). */
  readonly configDir: string;
  /** pilot-agent's --statusPort (0: none), where /healthz/ready is probed. */
  readonly statusPort: number;
}

export interface PodPlan {
  readonly identity: PodIdentity;
  readonly injected: boolean;
  /** The istio-init step: `pilot-agent istio-iptables ...`, run as root before the containers. */
  readonly capture?: readonly string[];
  readonly sidecar?: SidecarPlan;
  readonly containers: readonly ContainerPlan[];
}

export interface PlanContext {
  readonly binaries: Binaries;
  readonly imageMaps: readonly ImageMap[];
  readonly domain: string;
  /** Where a pod's sidecar writes its bootstrap (`--configPath`). */
  readonly proxyConfigDir: string;
  /** The sidecar's own working directory (pod-dirs.ts): pilot-agent makes its SDS socket below it. */
  readonly proxyWorkDir: string;
  /** Capabilities every unprivileged process needs to read the code (dac_read_search when the checkout is not world-readable). */
  readonly readCaps: readonly string[];
  readonly discoveryAddress: string;
  readonly pilotDebugAddress: string;
}

/** Istio's injectRequired for a pod in a namespace labelled `istio-injection=enabled` (policy: enabled). */
export function injectionWanted(namespaceLabels: Readonly<Record<string, string>>, annotations: Readonly<Record<string, string>>): boolean {
  if (namespaceLabels['istio-injection'] !== 'enabled') return false;
  const a = annotations['sidecar.istio.io/inject'];
  if (a === undefined || a === '') return true;
  return ['y', 'yes', 'true', 'on'].includes(a.toLowerCase());
}

const EXCLUDED_INBOUND = [15090, 15020, 15021];

/** istio-init's flags as the 1.3 injector sets them, from the pod's traffic annotations. */
export function captureArgs(annotations: Readonly<Record<string, string>>, statusPort: number): string[] {
  const a = (k: string) => annotations[k];
  const excluded = [...new Set([...EXCLUDED_INBOUND, ...(statusPort > 0 ? [statusPort] : []), ...(a('traffic.sidecar.istio.io/excludeInboundPorts') ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number)])];
  const args = [
    'istio-iptables',
    '-p', '15001',
    '-z', '15006',
    '-u', String(PROXY_UID),
    '-m', a('sidecar.istio.io/interceptionMode') ?? 'REDIRECT',
    '-i', a('traffic.sidecar.istio.io/includeOutboundIPRanges') ?? '*',
    '-x', a('traffic.sidecar.istio.io/excludeOutboundIPRanges') ?? '',
    '-b', a('traffic.sidecar.istio.io/includeInboundPorts') ?? '*',
    '-d', excluded.join(','),
  ];
  const outboundExcluded = a('traffic.sidecar.istio.io/excludeOutboundPorts');
  if (outboundExcluded) args.push('-o', outboundExcluded);
  return args;
}

/** The downward API values a container's env may read. */
function fieldValue(path: string, id: PodIdentity): string {
  const label = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (label) return (label[1] === 'labels' ? id.labels : id.annotations)[label[2] as string] ?? '';
  const values: Record<string, string> = {
    'metadata.name': id.name,
    'metadata.namespace': id.namespace,
    'metadata.uid': `${id.namespace}.${id.name}`,
    'spec.nodeName': 'weft-local',
    'spec.serviceAccountName': id.serviceAccount,
    'status.podIP': id.ip,
    'status.hostIP': id.nodeIp,
  };
  return values[path] ?? '';
}

function baseEnv(id: PodIdentity): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin', HOSTNAME: id.name, HOME: '/tmp' };
}

export function containerPlan(c: KubeContainer, id: PodIdentity, ctx: PlanContext): ContainerPlan | string {
  const map = ctx.imageMaps.find((m) => lookupImage(m, c.image)) ?? ctx.imageMaps[0];
  const cmd = map ? resolveCommand(map, c.image, c, ctx.binaries.node) : undefined;
  if (!cmd) return `image ${c.image} has no entry in ${ctx.imageMaps.map((m) => m.file).join(', ') || 'any local-images.yaml'} and the container sets no command`;
  const env = baseEnv(id);
  for (const e of c.env) env[e.name] = e.fieldPath ? fieldValue(e.fieldPath, id) : (e.value ?? '');
  return { name: c.name, argv: cmd.argv, cwd: cmd.cwd, env, uid: APP_UID, caps: ctx.readCaps, ports: c.ports, ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}) };
}

/**
 * The istio-proxy container as the 1.3 injector writes it: pilot-agent's arguments and environment,
 * started in its own working directory (in a container, `/`), or why it cannot run.
 */
export function sidecarPlan(id: PodIdentity, containers: readonly KubeContainer[], ctx: PlanContext, role: 'sidecar' | 'router', statusPort: number): SidecarPlan | string {
  const socketProblem = sdsSocketProblem(ctx.proxyWorkDir);
  if (socketProblem) return `${socketProblem}; use a shorter --state-dir`;
  const app = id.labels['app'];
  const serviceCluster = app ? `${app}.${id.namespace}` : `${id.owner || 'istio-proxy'}.${id.namespace}`;
  const ports = containers.flatMap((c) => c.ports);
  const args = [
    ctx.binaries.pilotAgent,
    'proxy', role,
    '--domain', `${id.namespace}.svc.${ctx.domain}`,
    '--configPath', ctx.proxyConfigDir,
    '--binaryPath', ctx.binaries.weftProxy,
    '--serviceCluster', serviceCluster,
    '--drainDuration', '45s',
    '--parentShutdownDuration', '1m0s',
    '--discoveryAddress', ctx.discoveryAddress,
    '--pilotDebugAddress', ctx.pilotDebugAddress,
    '--proxyLogLevel', 'warning',
    '--connectTimeout', '10s',
    '--proxyAdminPort', '15000',
    '--controlPlaneAuthPolicy', 'NONE',
    '--statusPort', String(statusPort),
    ...(ports.length > 0 ? ['--applicationPorts', ports.map((p) => p.containerPort).join(',')] : []),
  ];
  const env: Record<string, string> = {
    ...baseEnv(id),
    POD_NAME: id.name,
    POD_NAMESPACE: id.namespace,
    INSTANCE_IP: id.ip,
    SERVICE_ACCOUNT: id.serviceAccount,
    HOST_IP: id.nodeIp,
    ISTIO_META_POD_NAME: id.name,
    ISTIO_META_CONFIG_NAMESPACE: id.namespace,
    ISTIO_META_INTERCEPTION_MODE: role === 'router' ? 'NONE' : (id.annotations['sidecar.istio.io/interceptionMode'] ?? 'REDIRECT'),
    ISTIO_META_INCLUDE_INBOUND_PORTS: ports.map((p) => p.containerPort).join(','),
    ISTIO_META_CLUSTER_ID: 'Kubernetes',
    ISTIO_META_WORKLOAD_NAME: id.owner,
    ISTIO_META_OWNER: `kubernetes://apis/apps/v1/namespaces/${id.namespace}/deployments/${id.owner}`,
    ISTIO_META_POD_PORTS: JSON.stringify(ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: 'TCP' }))),
    ISTIO_METAJSON_LABELS: JSON.stringify(id.labels),
    ISTIO_METAJSON_ANNOTATIONS: JSON.stringify(id.annotations),
  };
  return {
    name: 'istio-proxy',
    argv: [ctx.binaries.node, ...args],
    cwd: ctx.proxyWorkDir,
    env,
    uid: PROXY_UID,
    caps: role === 'router' ? [...ctx.readCaps, 'net_bind_service'] : ctx.readCaps,
    configDir: ctx.proxyConfigDir,
    statusPort,
  };
}

export function podPlan(id: PodIdentity, containers: readonly KubeContainer[], injected: boolean, ctx: PlanContext): { plan?: PodPlan; errors: string[] } {
  const errors: string[] = [];
  const plans: ContainerPlan[] = [];
  for (const c of containers) {
    const p = containerPlan(c, id, ctx);
    if (typeof p === 'string') errors.push(`container ${c.name}: ${p}`);
    else plans.push(p);
  }
  const status = Number(id.annotations['status.sidecar.istio.io/port'] ?? STATUS_PORT);
  const sidecar = injected ? sidecarPlan(id, containers, ctx, 'sidecar', status) : undefined;
  if (typeof sidecar === 'string') return { errors: [...errors, `container istio-proxy: ${sidecar}`] };
  if (errors.length > 0) return { errors };
  return {
    errors,
    plan: {
      identity: id,
      injected,
      containers: plans,
      ...(sidecar ? { capture: [ctx.binaries.node, ctx.binaries.pilotAgent, ...captureArgs(id.annotations, status)], sidecar } : {}),
    },
  };
}
