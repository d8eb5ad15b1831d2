// Responses encoded once for every stream that gets the same content. A route change in a mesh of
// 2,000 sidecars sends one 600 KB RouteConfiguration 2,000 times: encoded per stream, that is 1.2 GB
// of buffers to build (and collect) before grpc-js frames each one. Here streams that send the same
// resources at the same version share one nonce and one encoded message.
//
// Nonces stay unique within a stream: they come from one counter per server, and a stream takes a
// shared nonce only when it is newer than every nonce it sent before (otherwise it gets a fresh one,
// and the content a new shared entry). Envoy only compares nonces for equality, so a nonce that is
// also another stream's is harmless: ACKs arrive per stream.
import type { XdsProtocol } from './callbacks.js';
import type { Resource } from './resource.js';

/** One shared response: its nonce, and its gRPC-framed bytes once the first stream's write encoded them. */
export interface SharedEncoding {
  /** The content key when shared; undefined for a response of one stream. */
  readonly key: string | undefined;
  readonly seq: number;
  readonly nonce: string;
  bytes: Buffer | undefined;
}

export interface SharedResponsesOptions {
  /** Distinct contents remembered (default 256). */
  readonly maxEntries?: number;
  /** Encoded bytes kept for later streams (default 64 MiB); messages already queued are kept by their writes. */
  readonly maxBytes?: number;
}

const ids = new WeakMap<Resource, number>();
let nextId = 0;

/** A number per Resource object, for content keys (an object's identity is its content and version). */
function idOf(r: Resource): number {
  let id = ids.get(r);
  if (id === undefined) {
    id = ++nextId;
    ids.set(r, id);
  }
  return id;
}

/**
 * The key of a response's content: its message (SotW DiscoveryResponse or Delta's, two encodings of
 * one content), type, version, each resource object in order, removed names.
 */
export function contentKey(protocol: XdsProtocol, typeUrl: string, version: string, resources: readonly Resource[], removed: readonly string[] = []): string {
  let key = `${protocol}\n${typeUrl}\n${version}\n`;
  for (const r of resources) key += `${idOf(r)},`;
  if (removed.length > 0) key += `\n${removed.join('\n')}`;
  return key;
}

/** Per server: the nonce counter and the shared encodings, least recently used first. */
export class SharedResponses {
  private seq = 0;
  private readonly byKey = new Map<string, SharedEncoding>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(options: SharedResponsesOptions = {}) {
    this.maxEntries = options.maxEntries ?? 256;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** A nonce for a response that is not shared. */
  next(key?: string): SharedEncoding {
    const seq = ++this.seq;
    return { key, seq, nonce: String(seq), bytes: undefined };
  }

  /**
   * The shared response for `key` when its nonce is newer than `after` (the last nonce the asking
   * stream sent); otherwise a new one, which later streams then share.
   */
  take(key: string, after: number): SharedEncoding {
    const known = this.byKey.get(key);
    if (known) {
      this.byKey.delete(key);
      if (known.seq > after) {
        this.byKey.set(key, known);
        return known;
      }
      if (known.bytes) this.bytes -= known.bytes.length;
    }
    const fresh = this.next(key);
    this.byKey.set(key, fresh);
    this.evict();
    return fresh;
  }

  /** The entry's bytes, encoded by `encode` on the first write that needs them. */
  encoded(entry: SharedEncoding, encode: () => Buffer): Buffer {
    if (entry.bytes) return entry.bytes;
    const bytes = encode();
    entry.bytes = bytes;
    // Counted while remembered only (an entry evicted or replaced meanwhile is held by its writes alone).
    if (entry.key !== undefined && this.byKey.get(entry.key) === entry) {
      this.bytes += bytes.length;
      this.evict();
    }
    return bytes;
  }

  /** Contents remembered now, and their encoded bytes (for tests and debug). */
  get size(): { readonly entries: number; readonly bytes: number } {
    return { entries: this.byKey.size, bytes: this.bytes };
  }

  private evict(): void {
    while (this.byKey.size > this.maxEntries || (this.bytes > this.maxBytes && this.byKey.size > 0)) {
      const [key, oldest] = this.byKey.entries().next().value as [string, SharedEncoding];
      this.byKey.delete(key);
      if (oldest.bytes) this.bytes -= oldest.bytes.length;
    }
  }
}
