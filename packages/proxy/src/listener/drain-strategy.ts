// How a draining listener discourages its connections (Envoy's --drain-strategy): `immediate` asks
// every connection to close at once; `gradual` asks a share of the requests that grows linearly
// from 0 to 1 over the drain time, so a fleet of clients does not reconnect all at the same moment.

export type DrainStrategy = 'immediate' | 'gradual';

export const DRAIN_STRATEGIES: readonly DrainStrategy[] = ['immediate', 'gradual'];

/** The drain settings shared by the listener manager and its connection managers. */
export interface DrainSettings {
  readonly strategy: DrainStrategy;
  /** --drain-time-s in milliseconds. */
  readonly timeMs: number;
}

/** Envoy's DrainManager::drainClose: should this response (or new HTTP/2 stream) ask its connection to close? */
export function drainClose(settings: DrainSettings, elapsedMs: number, random: () => number): boolean {
  if (settings.strategy === 'immediate' || settings.timeMs <= 0) return true;
  return random() < elapsedMs / settings.timeMs;
}

/**
 * When a draining connection manager closes what is left idle (HTTP/1.1 keep-alive connections) and
 * sends the final GOAWAY to HTTP/2 connections: after the HCM's drain_timeout with `immediate`, at
 * the end of the drain time with `gradual` (earlier would undo the gradual spreading).
 */
export function drainSweepDelayMs(settings: DrainSettings, drainTimeoutMs: number): number {
  return settings.strategy === 'immediate' ? drainTimeoutMs : settings.timeMs;
}
