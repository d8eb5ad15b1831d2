// The request body as it goes upstream. Every method's body is what the downstream framing says it
// is (Content-Length, chunked, or HTTP/2 DATA), and it is always forwarded: a GET with a body whose
// Content-Length went upstream without the bytes would leave the upstream connection waiting for
// them, and the next request on that connection would be read as the body (request smuggling).
// The upstream framing is set here so that the two sides can never disagree.
import { Readable } from 'node:stream';
import type { HeaderMap } from '../../../../http/headers.js';

export interface BufferedBody {
  readonly complete: boolean;
  readonly chunks: Buffer[];
  /** Bytes in `chunks`. */
  readonly size: number;
  /** The unread remainder of a body larger than the replay buffer. */
  readonly rest?: NodeJS.ReadableStream;
}

/**
 * Sets the upstream Content-Length from the body actually read: its exact size when the whole body
 * was buffered; the downstream's (which the downstream codec enforces) while it still streams; none
 * for a streamed body without one (the upstream codec frames it: chunked or DATA frames).
 */
export function frameUpstreamBody(headers: HeaderMap, body: BufferedBody, downstreamContentLength: string | undefined): void {
  delete headers['transfer-encoding'];
  if (body.complete) {
    if (body.size > 0 || downstreamContentLength !== undefined) headers['content-length'] = String(body.size);
    else delete headers['content-length'];
    return;
  }
  if (downstreamContentLength !== undefined) headers['content-length'] = downstreamContentLength;
  else delete headers['content-length'];
}

/** A fresh readable of the body for one attempt (or a mirror); undefined when there is none. */
export function bodyStream(body: Pick<BufferedBody, 'chunks' | 'rest'>, onChunk?: () => void): NodeJS.ReadableStream | undefined {
  if (body.chunks.length === 0 && !body.rest) return undefined;
  if (!body.rest) return new ReplayedBody(body.chunks);
  return Readable.from(
    (async function* () {
      for (const c of body.chunks) yield c;
      if (body.rest) {
        for await (const c of body.rest as AsyncIterable<Buffer>) {
          onChunk?.();
          yield c;
        }
      }
    })(),
  );
}

/** A body read whole, replayed from its chunks (no async generator per attempt). */
class ReplayedBody extends Readable {
  constructor(private readonly chunks: readonly Buffer[]) {
    super();
  }

  override _read(): void {
    for (const c of this.chunks) this.push(c);
    this.push(null);
  }
}
