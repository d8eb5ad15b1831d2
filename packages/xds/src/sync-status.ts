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
