// Minimal protobuf wire writer: just what the response codec needs (varints, strings, bytes, nested).
// Chunks are collected and joined once, so pre-encoded resource bytes are copied exactly once per send.

const WIRE_LEN = 2;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(n: number): Buffer {
  const out = Buffer.allocUnsafe(varintSize(n));
  let i = 0;
  while (n >= 0x80) {
    out[i++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[i] = n;
  return out;
}

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
  }

  private lengthDelimited(field: number, length: number): void {
    this.push(writeVarint((field << 3) | WIRE_LEN));
    this.push(writeVarint(length));
  }

  /** A string field; proto3 omits the empty default. */
  string(field: number, value: string): this {
    if (value === '') return this;
    const bytes = Buffer.from(value, 'utf8');
    this.lengthDelimited(field, bytes.byteLength);
    this.push(bytes);
    return this;
  }

  /** A bytes or already-encoded embedded message field (written even when empty, as a present message). */
  bytes(field: number, value: Uint8Array): this {
    this.lengthDelimited(field, value.byteLength);
    this.push(value);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
