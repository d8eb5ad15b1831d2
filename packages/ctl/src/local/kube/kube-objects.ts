// The Kubernetes objects the local platform runs, as typed values after validation (kube-validate.ts).
// Only the fields listed here exist for the platform; every other field is refused or documented as
// accepted without effect (docs/components/local-platform.md).

export interface KubeMeta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface KubeNamespace {
  readonly kind: 'Namespace';
  readonly metadata: KubeMeta;
}

export interface KubeServiceAccount {
  readonly kind: 'ServiceAccount';
  readonly metadata: KubeMeta;
}

export interface KubeServicePort {
  /** '' only when the Service has a single unnamed port. */
  readonly name: string;
  readonly port: number;
  /** A container port number, or the name of a container port. */
  readonly targetPort: number | string;
}

export interface KubeService {
  readonly kind: 'Service';
  readonly metadata: KubeMeta;
  readonly spec: {
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly KubeServicePort[];
    /** A fixed VIP inside the service CIDR; allocated when absent. */
    readonly clusterIP?: string;
  };
}

export interface KubeEnvVar {
  readonly name: string;
  readonly value?: string;
  /** valueFrom.fieldRef.fieldPath (downward API): metadata.name, metadata.namespace, status.podIP, ... */
  readonly fieldPath?: string;
}

export interface KubeProbe {
  readonly httpGet?: { readonly path: string; readonly port: number | string };
  readonly tcpSocket?: { readonly port: number | string };
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export interface KubeContainerPort {
  readonly containerPort: number;
  readonly name?: string;
}

export interface KubeContainer {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env: readonly KubeEnvVar[];
  readonly ports: readonly KubeContainerPort[];
  readonly readinessProbe?: KubeProbe;
}

export interface KubePodTemplate {
  readonly metadata: { readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>> };
  readonly spec: {
    readonly containers: readonly KubeContainer[];
    readonly serviceAccountName: string;
    readonly terminationGracePeriodSeconds: number;
  };
}

export interface KubeDeployment {
  readonly kind: 'Deployment';
  readonly metadata: KubeMeta;
  readonly spec: {
    readonly replicas: number;
    readonly selector: Readonly<Record<string, string>>;
    readonly template: KubePodTemplate;
    /** RollingUpdate with these bounds (absolute pod counts), or Recreate. */
    readonly strategy: { readonly type: 'RollingUpdate'; readonly maxSurge: number; readonly maxUnavailable: number } | { readonly type: 'Recreate' };
    readonly minReadySeconds: number;
  };
}

export type KubeObject = KubeNamespace | KubeServiceAccount | KubeService | KubeDeployment;

/** `Kind/namespace/name`, the identity `apply` replaces by. */
export function kubeKey(o: { readonly kind: string; readonly metadata: { readonly name: string; readonly namespace: string } }): string {
  return `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
}

/** Every label of `selector` is on `labels` (an empty selector selects nothing, as for Services). */
export function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}
