// A cluster's circuit breakers (Envoy's ResourceManagerImpl for the DEFAULT priority): live counts of
// connections, pending requests, requests and retries, each checked against its threshold before use.
import type { Cluster__Output } from '@weft/api';

export interface Thresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

/** The DEFAULT-priority thresholds (else the first), with Envoy's defaults: 1024 each, 3 retries. */
export function thresholdsOf(c: Cluster__Output): Thresholds {
  const t = c.circuit_breakers?.thresholds?.find((x) => x.priority === 'DEFAULT') ?? c.circuit_breakers?.thresholds?.[0];
  return {
    maxConnections: t?.max_connections?.value ?? 1024,
    maxPendingRequests: t?.max_pending_requests?.value ?? 1024,
    maxRequests: t?.max_requests?.value ?? 1024,
    maxRetries: t?.max_retries?.value ?? 3,
  };
}

/**
 * One limited resource: `tryAcquire` takes a unit when one is left; `release` gives it back, straight
 * to the longest waiter if there is one (so a waiter never loses its turn to a newcomer).
 */
export class Resource {
  private count = 0;
  private readonly waiters: ((granted: boolean) => void)[] = [];

  constructor(readonly max: number) {}

  get active(): number {
    return this.count;
  }

  canCreate(): boolean {
    return this.count < this.max;
  }

  tryAcquire(): boolean {
    if (this.count >= this.max) return false;
    this.count++;
    return true;
  }

  /** Resolves true once a unit is handed over (FIFO), or false when `signal` aborts first. */
  wait(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (granted: boolean) => {
        signal.removeEventListener('abort', onAbort);
        resolve(granted);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next(true);
    else if (this.count > 0) this.count--;
  }
}

/** The four resources of one cluster, shared by the router (requests, retries) and the pools (pending). */
export class ResourceManager {
  readonly connections: Resource;
  readonly pendingRequests: Resource;
  readonly requests: Resource;
  readonly retries: Resource;

  constructor(thresholds: Thresholds) {
    this.connections = new Resource(thresholds.maxConnections);
    this.pendingRequests = new Resource(thresholds.maxPendingRequests);
    this.requests = new Resource(thresholds.maxRequests);
    this.retries = new Resource(thresholds.maxRetries);
  }
}
