// The hosts of an ORIGINAL_DST cluster: made on demand from a connection's original destination,
// cached by address:port with their pools, and dropped once unused for a whole cleanup_interval
// (Envoy's OriginalDstCluster). https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/service_discovery#original-destination
import type { OriginalDestination } from './upstream-cluster.js';

/** What the cache needs of a host: whether a request is in flight, and its pool to close. */
export interface OriginalDstHost {
  readonly active: number;
  readonly pool: { close(): void };
}

export class OriginalDstHosts<H extends OriginalDstHost> {
  private readonly hosts = new Map<string, H>();
  /** Chosen since the previous sweep. */
  private readonly used = new WeakSet<H>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly make: (d: OriginalDestination) => H,
    /** Called with the new host list after one is added or removed. */
    private readonly onChange: (hosts: H[]) => void,
    cleanupIntervalMs: number,
  ) {
    this.timer = setInterval(() => this.sweep(), cleanupIntervalMs).unref();
  }

  /** The host for `d`, made on first use; undefined without a usable destination (Envoy: no host, UH). */
  get(d: OriginalDestination | undefined): H | undefined {
    if (!d || !d.address || !d.port) return undefined;
    const key = `${d.address}:${d.port}`;
    let host = this.hosts.get(key);
    if (!host) {
      host = this.make(d);
      this.hosts.set(key, host);
      this.onChange([...this.hosts.values()]);
    }
    this.used.add(host);
    return host;
  }

  /** Removes hosts not chosen since the previous sweep and with nothing in flight. */
  sweep(): void {
    let removed = false;
    for (const [key, h] of this.hosts) {
      if (!this.used.has(h) && h.active === 0) {
        this.hosts.delete(key);
        h.pool.close();
        removed = true;
      } else this.used.delete(h);
    }
    if (removed) this.onChange([...this.hosts.values()]);
  }

  close(): void {
    clearInterval(this.timer);
    this.hosts.clear();
  }
}
