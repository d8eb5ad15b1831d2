// Counts gRPC messages in a body stream: each is a 5-byte prefix (compressed flag, 4-byte big-endian
// length) and that many bytes (gRPC over HTTP/2, "Length-Prefixed-Message"). Chunks may split a
// message or its prefix anywhere; nothing is buffered, only the position in the current frame.
export class GrpcFrameCounter {
  /** Messages whose prefix has been read. */
  count = 0;
  /** Prefix bytes still to read (5 at a frame boundary), or 0 while inside a message body. */
  private prefixLeft = 5;
  private length = 0;
  /** Body bytes still to skip in the current message. */
  private bodyLeft = 0;

  /** Feeds a chunk; returns how many messages started in it. */
  push(chunk: Uint8Array): number {
    const before = this.count;
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const skip = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= skip;
        i += skip;
        continue;
      }
      // Prefix byte 0 is the flag; bytes 1..4 the length.
      if (this.prefixLeft < 5) this.length = this.length * 256 + (chunk[i] ?? 0);
      i++;
      this.prefixLeft--;
      if (this.prefixLeft === 0) {
        this.count++;
        this.bodyLeft = this.length;
        this.length = 0;
        this.prefixLeft = 5;
      }
    }
    return this.count - before;
  }
}
