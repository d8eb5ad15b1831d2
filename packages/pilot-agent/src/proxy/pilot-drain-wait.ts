// Termination step 2: wait until Pilot has pushed this pod's removal to every peer (polling its debug
// API), bounded by terminationDrainDuration; an unreachable Pilot just means waiting out the bound.
import type { Logger } from '@weft/base';
import { errorText } from './admin-client.js';
import type { HostPort } from './agent-config.js';
import { pilotConvergence } from './pilot-convergence.js';

export interface DrainWaitOptions {
  readonly pilotDebug: HostPort;
  readonly instanceIp: string;
  readonly nodeId: string;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly pollMs?: number;
}

export interface DrainWaitResult {
  readonly converged: boolean;
  readonly waitedMs: number;
  readonly reason: string;
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${new URL(url).pathname} answered ${res.status}`);
  return res.json();
}

export async function waitForPilotConvergence(o: DrainWaitOptions): Promise<DrainWaitResult> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const host = o.pilotDebug.host.includes(':') ? `[${o.pilotDebug.host}]` : o.pilotDebug.host;
  const base = `http://${host}:${o.pilotDebug.port}`;
  const pollMs = o.pollMs ?? 100;
  let reason = 'no answer from pilot yet';
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      const perRequest = Math.max(50, Math.min(1000, left));
      const [endpointz, syncz] = await Promise.all([getJson(`${base}/debug/endpointz`, perRequest), getJson(`${base}/debug/syncz`, perRequest)]);
      const c = pilotConvergence({ instanceIp: o.instanceIp, nodeId: o.nodeId, endpointz, syncz });
      reason = c.reason;
      if (c.converged) {
        const waitedMs = Date.now() - started;
        o.logger.info({ waitedMs, reason }, 'drain: pilot converged');
        return { converged: true, waitedMs, reason };
      }
    } catch (e) {
      reason = `pilot debug API at ${base} unreachable: ${errorText(e)}`;
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
  const waitedMs = Date.now() - started;
  o.logger.warn({ waitedMs, reason, terminationDrainDurationMs: o.timeoutMs }, 'drain: gave up waiting for pilot');
  return { converged: false, waitedMs, reason };
}
