// Reads the proxy's admin API on 127.0.0.1:<proxyAdminPort> (/server_info, /stats) for readiness.
import { parseStatsText, READINESS_STATS_FILTER } from './readiness.js';

export interface AdminSample {
  readonly state?: string;
  readonly stats?: ReadonlyMap<string, number>;
  readonly error?: string;
}

export class AdminClient {
  private readonly base: string;

  constructor(port: number, private readonly timeoutMs = 1000) {
    this.base = `http://127.0.0.1:${port}`;
  }

  /** Server state and the readiness counters; `error` when the admin API does not answer. */
  async sample(): Promise<AdminSample> {
    try {
      const [info, stats] = await Promise.all([
        this.get('/server_info').then((t) => JSON.parse(t) as { state?: unknown }),
        this.get(`/stats?usedonly&filter=${encodeURIComponent(READINESS_STATS_FILTER)}`),
      ]);
      return { ...(typeof info.state === 'string' ? { state: info.state } : {}), stats: parseStatsText(stats) };
    } catch (e) {
      return { error: errorText(e) };
    }
  }

  private async get(path: string): Promise<string> {
    const res = await fetch(`${this.base}${path}`, { signal: AbortSignal.timeout(this.timeoutMs) });
    const body = await res.text();
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    return body;
  }
}

/** The useful part of a fetch failure (`ECONNREFUSED`, a timeout) rather than "fetch failed". */
export function errorText(e: unknown): string {
  const err = e as { cause?: { code?: string; message?: string }; name?: string; message?: string };
  if (err?.name === 'TimeoutError') return 'timed out';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}
