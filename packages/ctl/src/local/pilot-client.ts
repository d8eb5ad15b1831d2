// Reads Pilot's debug HTTP (`--httpAddr`) to know when config and endpoints have reached every
// proxy: /debug/configz (the config in force and its revision), /debug/push_status (the last push,
// whose version ends in the config revision it was built from) and /debug/syncz (per proxy and type,
// whether the proxy acknowledged what Pilot holds now).

export interface SyncRow {
  readonly proxy: string;
  readonly node_id: string;
  readonly [field: string]: unknown;
}

const TYPES = ['cluster', 'listener', 'route', 'endpoint'] as const;

export class PilotClient {
  constructor(private readonly httpAddress: string) {}

  private async get<T>(path: string): Promise<T> {
    const res = await fetch(`http://${this.httpAddress}${path}`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
    return (await res.json()) as T;
  }

  configz(): Promise<{ revision: number; configs: { kind: string; metadata: { name?: string; namespace?: string; annotations?: Record<string, string> } }[]; rejected: { source: string; errors: { formatted: string }[] }[] }> {
    return this.get('/debug/configz');
  }

  /** The config revision of the last push (`<time>/<revision>`), or -1 before the first. */
  async pushedRevision(): Promise<number> {
    const s = await this.get<{ version?: string }>('/debug/push_status');
    const r = Number(s.version?.split('/').pop());
    return Number.isFinite(r) ? r : -1;
  }

  syncz(): Promise<SyncRow[]> {
    return this.get('/debug/syncz');
  }

  endpointz(): Promise<{ service: string; endpoint: { address: string; port: number } }[]> {
    return this.get('/debug/endpointz');
  }
}

/** Proxies (by `pod.namespace` ID) that have not acknowledged everything Pilot holds for them now. */
export function unsynced(rows: readonly SyncRow[]): string[] {
  return rows.filter((r) => TYPES.some((t) => r[`${t}_synced`] === false)).map((r) => r.proxy);
}

async function poll<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, cancelled: () => boolean): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (cancelled()) throw new Error(`stopped while waiting for ${what}`);
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${String((last as Error).message ?? last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until Pilot's config holds every `expected` object at the given generation annotation,
 * then until a push built from that revision happened, then until every connected proxy
 * acknowledged it. Returns the number of proxies that were checked.
 */
export async function waitConverged(pilot: PilotClient, expected: ReadonlyMap<string, string>, annotation: string, timeoutMs: number, cancelled: () => boolean = () => false): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(0, deadline - Date.now());
  const revision = await poll('Pilot to read the config', left(), async () => {
    const c = await pilot.configz();
    const seen = new Map(c.configs.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`, o.metadata.annotations?.[annotation]]));
    for (const [key, generation] of expected) {
      if (generation === '' ? seen.has(key) : seen.get(key) !== generation) return undefined;
    }
    return c.revision;
  }, cancelled);
  await poll('Pilot to push the config', left(), async () => ((await pilot.pushedRevision()) >= revision ? true : undefined), cancelled);
  const rows = await poll('every proxy to acknowledge the push', left(), async () => {
    const r = await pilot.syncz();
    return unsynced(r).length === 0 ? r : undefined;
  }, cancelled);
  return rows.length;
}
