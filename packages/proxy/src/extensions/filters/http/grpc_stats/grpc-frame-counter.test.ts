import { describe, expect, it } from 'vitest';
import { GrpcFrameCounter } from './grpc-frame-counter.js';

function frame(body: string): Buffer {
  const b = Buffer.from(body);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(b.length, 1);
  return Buffer.concat([prefix, b]);
}

describe('GrpcFrameCounter', () => {
  it('counts whole messages in one chunk, including empty ones', () => {
    const c = new GrpcFrameCounter();
    expect(c.push(Buffer.concat([frame('hello'), frame(''), frame('x'.repeat(300))]))).toBe(3);
    expect(c.count).toBe(3);
  });

  it('counts messages split at every byte the same as whole', () => {
    const wire = Buffer.concat([frame('a'), frame('bb'.repeat(200)), frame('')]);
    const c = new GrpcFrameCounter();
    for (const byte of wire) c.push(Buffer.from([byte]));
    expect(c.count).toBe(3);
  });

  it('reads a length with the high bytes set', () => {
    const c = new GrpcFrameCounter();
    const prefix = Buffer.from([0, 0, 1, 0, 0]); // 65536 bytes follow
    expect(c.push(prefix)).toBe(1);
    expect(c.push(Buffer.alloc(65536))).toBe(0);
    expect(c.push(frame('z'))).toBe(1);
  });
});
