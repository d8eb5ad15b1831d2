// Per-stream, per-type bookkeeping of what was sent and what the client acknowledged: the data behind
// ACK/NACK handling, /debug/syncz and proxy-status (SYNCED / STALE / NOT SENT).

/** google.rpc.Status as a NACK carries it. */
export interface ErrorDetail {
  readonly code: number;
  readonly message: string;
}

export interface NackRecord {
  /** The version the client rejected (what this stream sent). */
  readonly rejectedVersion: string;
  readonly nonce: string;
  readonly errorDetail: ErrorDetail;
  /** version_info of the NACK: the last version the client accepted, which stays in force ('' in Delta, which has none). */
  readonly lastGoodVersion: string;
}

export interface TypeSyncStatus {
  readonly typeUrl: string;
  readonly sentVersion: string;
  readonly sentNonce: string;
  readonly ackedVersion: string;
  readonly ackedNonce: string;
  /** The latest NACK, kept after later ACKs so operators can see what was rejected. */
  readonly lastNack?: NackRecord;
}

/**
 * How a request relates to what was sent: `initial` (nothing sent yet for the type), `update` (no
 * nonce after something was sent: a spontaneous subscription change), `ack`/`nack` (the nonce of the
 * latest response), `stale` (an older nonce: superseded, ignored by SotW).
 */
export type RequestKind = 'initial' | 'update' | 'ack' | 'nack' | 'stale';

export class TypeSync {
  readonly typeUrl: string;
  private sentVersion = '';
  private sentNonce = '';
  private ackedVersion = '';
  private ackedNonce = '';
  private lastNack: NackRecord | undefined;

  constructor(typeUrl: string) {
    this.typeUrl = typeUrl;
  }

  get version(): string {
    return this.sentVersion;
  }

  classify(responseNonce: string, hasError: boolean): RequestKind {
    if (responseNonce === '') return this.sentNonce === '' ? 'initial' : 'update';
    if (responseNonce !== this.sentNonce) return 'stale';
    return hasError ? 'nack' : 'ack';
  }

  recordSent(version: string, nonce: string): void {
    this.sentVersion = version;
    this.sentNonce = nonce;
  }

  recordAck(version: string, nonce: string): void {
    this.ackedVersion = version;
    this.ackedNonce = nonce;
  }

  recordNack(nack: NackRecord): void {
    this.lastNack = nack;
  }

  status(): TypeSyncStatus {
    return {
      typeUrl: this.typeUrl,
      sentVersion: this.sentVersion,
      sentNonce: this.sentNonce,
      ackedVersion: this.ackedVersion,
      ackedNonce: this.ackedNonce,
      ...(this.lastNack ? { lastNack: this.lastNack } : {}),
    };
  }
}

/**
 * A resource's state on one stream, in Envoy CSDS's words (envoy.admin.v3.ClientResourceStatus) where
 * they fit: ACKED (the client accepted the response that carried this version), NACKED (it rejected
 * that response), REQUESTED (subscribed, but Pilot has no such resource or has not sent it),
 * UNKNOWN (the response that carried it was never resolved: see MAX_UNRESOLVED). SENT is the
 * server's own state, not in CSDS: sent, no ACK/NACK for it yet.
 */
export type ResourceSyncState = 'ACKED' | 'NACKED' | 'SENT' | 'REQUESTED' | 'UNKNOWN';

export interface ResourceStatus {
  readonly name: string;
  /** The version Pilot last sent ('' when REQUESTED, or when the last change sent was a removal). */
  readonly version: string;
  readonly status: ResourceSyncState;
  /** The version the client acknowledged, when known. */
  readonly ackedVersion?: string;
  /** NACKED: the error_detail of the NACK. */
  readonly error?: ErrorDetail;
  /**
   * The nonce of the response this status is about: the unresolved one (SENT), the NACKed one, or
   * for ACKED the latest response the client acknowledged (which covers every earlier one); '' when
   * none (REQUESTED, or nothing acknowledged yet).
   */
  readonly nonce: string;
  /** The last change sent for the name was its removal (Delta removed_resources, or absent from a complete LDS/CDS response). */
  readonly removed?: true;
}

export interface TypeResourceStatus {
  readonly typeUrl: string;
  readonly resources: readonly ResourceStatus[];
}

/**
 * Responses kept per stream and type while neither ACKed nor NACKed. A client answers every
 * response, and a stream sends at most one per request, so this is 1 or 2 in practice; past it the
 * oldest is dropped and its resources shown as UNKNOWN until a later response carrying them is
 * resolved.
 */
export const MAX_UNRESOLVED = 64;

type ResponseState = 'SENT' | 'ACKED' | 'NACKED' | 'UNKNOWN';

interface SentResponse {
  readonly nonce: string;
  /** The response's own arrays, by reference: nothing is copied per resource when sending. */
  readonly resources: readonly { readonly name: string; readonly version: string }[];
  readonly removed: readonly string[];
  state: ResponseState;
  error?: ErrorDetail;
}

interface NackedResource {
  readonly version: string;
  readonly nonce: string;
  readonly error: ErrorDetail;
  readonly removed: boolean;
}

const NONE: readonly string[] = [];

/** name → version pairs a stream holds, with a membership test (a Map, or SotW's HeldVersions). */
export type HeldNames = Iterable<readonly [string, string]> & { has(name: string): boolean };

/**
 * Per-resource ACK/NACK status of one stream's type, at a cost per response of one small record.
 * A request's response_nonce resolves every unresolved response up to and including it: that one is
 * ACKED or NACKED as the request says, the earlier ones ACKED (the client answers in order, and a
 * NACK of one of them would have resolved it already).
 *
 * `complete` (SotW LDS/CDS: every response carries every resource): a resource's status is read off
 * the last ACKED response and the last sent one, both kept by reference. Otherwise (SotW EDS/RDS,
 * Delta: responses carry changes) the stream's own name → version map says what was sent; a name is
 * SENT while an unresolved response carries it, NACKED when the last resolved response carrying it
 * was NACKed (a map filled only on NACK, emptied as later responses carrying those names are ACKed),
 * ACKED otherwise.
 */
export class ResourceAcks {
  private readonly unresolved: SentResponse[] = [];
  /** Complete mode only: the last response sent, and the last one ACKed. */
  private latest: SentResponse | undefined;
  private acked: SentResponse | undefined;
  private ackedNonce = '';
  /** Per-name mode only, and only after a NACK or an overflow: names → the NACK; names whose last response was dropped. */
  private nacked: Map<string, NackedResource> | undefined;
  private unknown: Set<string> | undefined;

  constructor(readonly complete: boolean) {}

  /** Records a response as written; `resources` and `removed` are kept by reference, not copied. */
  recordSent(nonce: string, resources: SentResponse['resources'], removed: readonly string[] = NONE): void {
    const entry: SentResponse = { nonce, resources, removed, state: 'SENT' };
    if (this.complete) this.latest = entry;
    this.unresolved.push(entry);
    if (this.unresolved.length > MAX_UNRESOLVED) {
      // The client stopped answering: the oldest is given up as unknown (its ACK, should it come,
      // resolves nothing). In complete mode the latest response decides, so nothing else is needed.
      const dropped = this.unresolved.shift() as SentResponse;
      dropped.state = 'UNKNOWN';
      if (!this.complete) {
        const unknown = (this.unknown ??= new Set());
        for (const r of dropped.resources) unknown.add(r.name);
        for (const name of dropped.removed) unknown.add(name);
      }
    }
  }

  /** A request carrying `nonce` ('' resolves nothing), NACKing it when `error` is set. Stale nonces too. */
  resolve(nonce: string, error: ErrorDetail | undefined): void {
    if (nonce === '') return;
    const list = this.unresolved;
    let i = list.length - 1;
    while (i >= 0 && list[i]?.nonce !== nonce) i--;
    if (i < 0) return;
    for (let k = 0; k <= i; k++) {
      const e = list[k] as SentResponse;
      if (k === i && error) this.markNacked(e, error);
      else this.markAcked(e);
    }
    if (i === list.length - 1) list.length = 0;
    else list.splice(0, i + 1);
  }

  /** A name the client unsubscribed: its NACK or unknown state goes with it. */
  forget(name: string): void {
    this.nacked?.delete(name);
    this.unknown?.delete(name);
  }

  private markAcked(e: SentResponse): void {
    e.state = 'ACKED';
    this.ackedNonce = e.nonce;
    if (this.complete) {
      this.acked = e;
      return;
    }
    for (const set of [this.nacked, this.unknown]) {
      if (!set || set.size === 0) continue;
      for (const r of e.resources) set.delete(r.name);
      for (const name of e.removed) set.delete(name);
    }
  }

  private markNacked(e: SentResponse, error: ErrorDetail): void {
    e.state = 'NACKED';
    e.error = error;
    if (this.complete) return;
    const nacked = (this.nacked ??= new Map());
    for (const r of e.resources) nacked.set(r.name, { version: r.version, nonce: e.nonce, error, removed: false });
    for (const name of e.removed) nacked.set(name, { version: '', nonce: e.nonce, error, removed: true });
    const unknown = this.unknown;
    if (unknown && unknown.size > 0) {
      for (const r of e.resources) unknown.delete(r.name);
      for (const name of e.removed) unknown.delete(name);
    }
  }

  /**
   * Every resource's status, sorted by name; computed on demand (debug queries), not kept.
   * `current`: per-name mode, the stream's name → version of what it sent (SotW `held`, Delta
   * `versions`). `subscription`: names subscribed but absent are REQUESTED.
   */
  statuses(current: HeldNames | undefined, subscription: { readonly names: ReadonlySet<string> } | undefined): ResourceStatus[] {
    const out = this.complete || !current ? this.completeStatuses() : this.perNameStatuses(current);
    if (subscription) {
      const present = new Set(out.map((s) => s.name));
      for (const name of subscription.names) if (!present.has(name)) out.push({ name, version: '', status: 'REQUESTED', nonce: '' });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private completeStatuses(): ResourceStatus[] {
    const latest = this.latest;
    if (!latest) return [];
    const acked = this.acked;
    if (acked === latest) return latest.resources.map((r) => ({ name: r.name, version: r.version, status: 'ACKED', ackedVersion: r.version, nonce: latest.nonce }));
    const ackedVersions = new Map<string, string>();
    if (acked) for (const r of acked.resources) ackedVersions.set(r.name, r.version);
    const pendingState = (): Pick<ResourceStatus, 'status' | 'error'> =>
      latest.state === 'NACKED' && latest.error ? { status: 'NACKED', error: latest.error } : { status: latest.state === 'UNKNOWN' ? 'UNKNOWN' : 'SENT' };
    const out: ResourceStatus[] = [];
    for (const r of latest.resources) {
      const ackedVersion = ackedVersions.get(r.name);
      const known = ackedVersion !== undefined ? { ackedVersion } : {};
      // Acked at this very version: the client holds it, whatever became of the newer response.
      if (ackedVersion === r.version && acked) out.push({ name: r.name, version: r.version, status: 'ACKED', ...known, nonce: acked.nonce });
      else out.push({ name: r.name, version: r.version, ...pendingState(), ...known, nonce: latest.nonce });
      ackedVersions.delete(r.name);
    }
    // In the last ACKed response but not in the latest: a removal, applied once the latest is ACKed.
    for (const [name, ackedVersion] of ackedVersions) out.push({ name, version: '', ...pendingState(), ackedVersion, nonce: latest.nonce, removed: true });
    return out;
  }

  private perNameStatuses(current: HeldNames): ResourceStatus[] {
    const pending = new Map<string, { readonly nonce: string; readonly version: string; readonly removed: boolean }>();
    for (const e of this.unresolved) {
      for (const r of e.resources) pending.set(r.name, { nonce: e.nonce, version: r.version, removed: false });
      for (const name of e.removed) pending.set(name, { nonce: e.nonce, version: '', removed: true });
    }
    const out: ResourceStatus[] = [];
    const row = (name: string, version: string): ResourceStatus => {
      const p = pending.get(name);
      if (p) return { name, version: p.version, status: 'SENT', nonce: p.nonce, ...(p.removed ? { removed: true as const } : {}) };
      const n = this.nacked?.get(name);
      if (n) return { name, version: n.version, status: 'NACKED', error: n.error, nonce: n.nonce, ...(n.removed ? { removed: true as const } : {}) };
      if (this.unknown?.has(name)) return { name, version, status: 'UNKNOWN', nonce: '' };
      return { name, version, status: 'ACKED', ackedVersion: version, nonce: this.ackedNonce };
    };
    for (const [name, version] of current) out.push(row(name, version));
    // Names no longer held whose removal is unresolved or was NACKed: the client may still hold them.
    for (const [name, p] of pending) if (p.removed && !current.has(name)) out.push(row(name, ''));
    if (this.nacked) for (const [name, n] of this.nacked) if (n.removed && !current.has(name) && !pending.has(name)) out.push(row(name, ''));
    return out;
  }
}
