// Has Pilot told every peer that this pod is gone (pure)? Read from Pilot's debug API: the pod's IP is
// absent from /debug/endpointz, and every other proxy's /debug/syncz row has its endpoints (EDS) and
// clusters (CDS, which carry DNS and static endpoints) acknowledged at the version Pilot holds now.

export interface ConvergenceInputs {
  /** This pod's IP (INSTANCE_IP). */
  readonly instanceIp: string;
  /** This proxy's node ID, whose own syncz row does not count. */
  readonly nodeId: string;
  /** /debug/endpointz: `{ service, servicePort, endpoint: { address, ... } }` rows. */
  readonly endpointz: unknown;
  /** /debug/syncz: a row per stream. */
  readonly syncz: unknown;
}

export interface Convergence {
  readonly converged: boolean;
  /** What is still pending, or what was seen. */
  readonly reason: string;
}

/** The xDS types whose acknowledgement means a peer no longer routes to removed endpoints. */
const TYPES = ['endpoint', 'cluster'] as const;

function rows(v: unknown): Record<string, unknown>[] | undefined {
  return Array.isArray(v) ? v.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null) : undefined;
}

function synced(row: Record<string, unknown>, type: string): boolean {
  const flag = row[`${type}_synced`];
  // A Pilot without `<type>_synced`: nonces sent and acknowledged match.
  return typeof flag === 'boolean' ? flag : row[`${type}_sent`] === row[`${type}_acked`];
}

export function pilotConvergence(input: ConvergenceInputs): Convergence {
  const endpoints = rows(input.endpointz);
  const streams = rows(input.syncz);
  if (!endpoints || !streams) return { converged: false, reason: 'unexpected debug API answer (want JSON arrays)' };
  const mine = endpoints.find((r) => (r['endpoint'] as { address?: unknown } | undefined)?.address === input.instanceIp);
  if (mine) return { converged: false, reason: `pilot still lists ${input.instanceIp} as an endpoint of ${String(mine['service'])}` };
  for (const row of streams) {
    if (row['node_id'] === input.nodeId) continue;
    const pending = TYPES.filter((t) => !synced(row, t));
    if (pending.length > 0) return { converged: false, reason: `proxy ${String(row['proxy'] ?? row['node_id'])} has not acknowledged the latest ${pending.join(' and ')} config` };
  }
  const peers = streams.filter((r) => r['node_id'] !== input.nodeId).length;
  return { converged: true, reason: `endpoint removed and ${peers} peer stream${peers === 1 ? '' : 's'} synced` };
}
