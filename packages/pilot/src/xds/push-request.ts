// A request to push, merged while debouncing (Istio's PushRequest: Full OR-ed, sets unioned).

export interface PushRequest {
  /** Regenerate everything (config or service change); false means endpoints only. */
  readonly full: boolean;
  /** Hostnames whose endpoints changed (incremental EDS). */
  readonly edsUpdates: ReadonlySet<string>;
  /** A full push that can change only these types (the others are kept as they are); absent: all. */
  readonly types?: ReadonlySet<string>;
  /** Why, for logs and metrics: `config`, `endpoint`, `proxy-connect`... */
  readonly reasons: ReadonlySet<string>;
  /** When the first merged event happened (ms since epoch), for convergence time. */
  readonly start: number;
}

export function pushRequest(reason: string, now: number, options: { full?: boolean; edsUpdates?: Iterable<string> } = {}): PushRequest {
  return { full: options.full ?? true, edsUpdates: new Set(options.edsUpdates ?? []), reasons: new Set([reason]), start: now };
}

export function mergePushRequests(a: PushRequest, b: PushRequest): PushRequest {
  return {
    full: a.full || b.full,
    edsUpdates: new Set([...a.edsUpdates, ...b.edsUpdates]),
    reasons: new Set([...a.reasons, ...b.reasons]),
    start: Math.min(a.start, b.start),
  };
}
