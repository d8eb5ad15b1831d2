// Is the proxy ready for traffic (pure)? Istio's rule: the admin API reports server state LIVE and the
// proxy has accepted at least one CDS and one LDS update from Pilot; never while the agent drains.

export const CDS_SUCCESS = 'cluster_manager.cds.update_success';
export const LDS_SUCCESS = 'listener_manager.lds.update_success';
/** The admin `/stats` filter that selects exactly the two counters readiness reads. */
export const READINESS_STATS_FILTER = '^(cluster_manager\\.cds|listener_manager\\.lds)\\.update_success$';

export interface ProxyObservation {
  readonly draining: boolean;
  /** False while the proxy is not running (before the first start, between restarts). */
  readonly running: boolean;
  /** Why the admin API could not be read, if it could not. */
  readonly adminError?: string;
  /** `/server_info` state. */
  readonly state?: string;
  /** `/stats?usedonly` counters by name. */
  readonly stats?: ReadonlyMap<string, number>;
}

export interface Readiness {
  readonly ready: boolean;
  /** A short reason, the 503 body. */
  readonly reason: string;
}

export function readiness(o: ProxyObservation): Readiness {
  if (o.draining) return { ready: false, reason: 'draining' };
  if (!o.running) return { ready: false, reason: 'proxy is not running' };
  if (o.adminError !== undefined) return { ready: false, reason: `proxy admin API unreachable: ${o.adminError}` };
  if (o.state !== 'LIVE') return { ready: false, reason: `proxy server state is ${o.state ?? 'unknown'}, not LIVE` };
  const cds = o.stats?.get(CDS_SUCCESS) ?? 0;
  const lds = o.stats?.get(LDS_SUCCESS) ?? 0;
  if (cds <= 0 || lds <= 0) return { ready: false, reason: `config not received from Pilot yet (cds updates ${cds}, lds updates ${lds})` };
  return { ready: true, reason: 'ready' };
}

/** Envoy's `/stats` text (`name: value` lines; histogram lines are skipped). */
export function parseStatsText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+): (-?\d+(?:\.\d+)?)$/.exec(line.trim());
    if (m) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}
