import { describe, expect, it } from 'vitest';
import type { KubeDeployment } from './kube/kube-objects.js';
import { rolloutStep, type RolloutPod } from './rollout.js';

const spec = (strategy: KubeDeployment['spec']['strategy'], replicas = 2) => ({ replicas, strategy } as unknown as KubeDeployment['spec']);
const pod = (name: string, hash: string, available = true, terminating = false, createdAt = 0): RolloutPod => ({ name, hash, available, terminating, createdAt });

describe('rolloutStep', () => {
  it('creates the missing replicas of a new Deployment', () => {
    expect(rolloutStep(spec({ type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 }), 'h1', [])).toEqual({ create: 2, terminate: [], complete: false });
  });

  it('surges one new pod before an old one goes with maxSurge 1 / maxUnavailable 0', () => {
    const s = spec({ type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 });
    expect(rolloutStep(s, 'h2', [pod('a', 'h1'), pod('b', 'h1')])).toEqual({ create: 1, terminate: [], complete: false });
    // The new pod is not available yet: nothing old may go.
    expect(rolloutStep(s, 'h2', [pod('a', 'h1'), pod('b', 'h1'), pod('c', 'h2', false)]).terminate).toEqual([]);
    // Once it is, one old pod goes (the newest first), and no more pods are created beyond the surge.
    expect(rolloutStep(s, 'h2', [pod('a', 'h1', true, false, 1), pod('b', 'h1', true, false, 2), pod('c', 'h2')])).toEqual({ create: 0, terminate: ['b'], complete: false });
    expect(rolloutStep(s, 'h2', [pod('c', 'h2'), pod('d', 'h2')]).complete).toBe(true);
  });

  it('Recreate stops every old pod before the first new one starts', () => {
    const s = spec({ type: 'Recreate' });
    expect(rolloutStep(s, 'h2', [pod('a', 'h1'), pod('b', 'h1')])).toEqual({ create: 0, terminate: ['a', 'b'], complete: false });
    expect(rolloutStep(s, 'h2', [pod('a', 'h1', true, true)])).toEqual({ create: 0, terminate: [], complete: false });
    expect(rolloutStep(s, 'h2', [])).toEqual({ create: 2, terminate: [], complete: false });
  });

  it('scales down extra current pods, unavailable ones first', () => {
    const s = spec({ type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 }, 1);
    expect(rolloutStep(s, 'h1', [pod('a', 'h1'), pod('b', 'h1', false)]).terminate).toEqual(['b']);
  });
});
