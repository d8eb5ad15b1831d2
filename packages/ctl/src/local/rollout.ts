// The Deployment controller's decision for one Deployment (pure): which pods to create and which to
// terminate now, given the pods it has. RollingUpdate keeps at least replicas - maxUnavailable pods
// available and at most replicas + maxSurge pods in all, as Kubernetes does; Recreate stops every old
// pod before the first new one starts.
import type { KubeDeployment } from './kube/kube-objects.js';

export interface RolloutPod {
  readonly name: string;
  /** The pod template hash the pod was created from. */
  readonly hash: string;
  readonly terminating: boolean;
  /** Ready for at least minReadySeconds (Kubernetes' "available"). */
  readonly available: boolean;
  readonly createdAt: number;
}

export interface RolloutStep {
  readonly create: number;
  readonly terminate: readonly string[];
  /** Every pod is current, available, and there are exactly `replicas` of them. */
  readonly complete: boolean;
}

export function rolloutStep(spec: KubeDeployment['spec'], hash: string, pods: readonly RolloutPod[]): RolloutStep {
  const live = pods.filter((p) => !p.terminating);
  const current = live.filter((p) => p.hash === hash);
  const old = live.filter((p) => p.hash !== hash);
  const replicas = spec.replicas;
  const terminate: string[] = [];
  let create = 0;
  const byAge = (a: RolloutPod, b: RolloutPod) => b.createdAt - a.createdAt;

  if (spec.strategy.type === 'Recreate') {
    if (old.length > 0) return { create: 0, terminate: old.map((p) => p.name), complete: false };
    // New pods start only once every old one is gone.
    if (pods.some((p) => p.terminating && p.hash !== hash)) return { create: 0, terminate: [], complete: false };
    create = Math.max(0, replicas - current.length);
    if (current.length > replicas) terminate.push(...[...current].sort(byAge).slice(0, current.length - replicas).map((p) => p.name));
  } else {
    const { maxSurge, maxUnavailable } = spec.strategy;
    // Scale up the new pods within the surge budget.
    const room = replicas + maxSurge - live.length;
    create = Math.max(0, Math.min(replicas - current.length, room));
    // Scale down old pods: unavailable ones always, available ones while enough stay available.
    const minAvailable = replicas - maxUnavailable;
    let available = live.filter((p) => p.available).length;
    for (const p of [...old].sort((a, b) => Number(a.available) - Number(b.available) || byAge(a, b))) {
      if (!p.available) terminate.push(p.name);
      else if (available - 1 >= minAvailable) {
        terminate.push(p.name);
        available--;
      }
    }
    // Too many current pods (replicas lowered), once the rollout is through.
    if (old.length === 0 && current.length > replicas) terminate.push(...[...current].sort((a, b) => Number(a.available) - Number(b.available) || byAge(a, b)).slice(0, current.length - replicas).map((p) => p.name));
  }
  const complete = old.length === 0 && current.length === replicas && current.every((p) => p.available) && !pods.some((p) => p.terminating);
  return { create, terminate, complete };
}
