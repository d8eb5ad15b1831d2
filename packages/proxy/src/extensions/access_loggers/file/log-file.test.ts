import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LogFiles, openLogSink } from './log-file.js';

/** A sink that records each write and can refuse to drain. */
class FakeSink extends Writable {
  readonly writes: string[] = [];
  private held: (() => void)[] = [];
  constructor(private stuck = false) {
    super({ highWaterMark: 8, decodeStrings: false });
  }
  override _write(chunk: string, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writes.push(String(chunk));
    if (this.stuck) this.held.push(() => cb());
    else cb();
  }
  release(): void {
    this.stuck = false;
    for (const cb of this.held.splice(0)) cb();
  }
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-log-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LogFiles', () => {
  it('batches the lines of one event-loop turn into one write', async () => {
    const sink = new FakeSink();
    const files = new LogFiles({ open: () => sink });
    const f = files.open('/x');
    f.write('a\n');
    f.write('b\n');
    expect(sink.writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(sink.writes).toEqual(['a\nb\n']);
  });

  it('shares one stream per path', () => {
    let opened = 0;
    const files = new LogFiles({
      open: () => {
        opened++;
        return new FakeSink();
      },
    });
    expect(files.open('/a')).toBe(files.open('/a'));
    files.open('/b');
    expect(opened).toBe(2);
  });

  it('drops and counts lines past the bounded buffer while the stream does not drain, never blocking', async () => {
    const sink = new FakeSink(true);
    const dropped = { value: 0 };
    const files = new LogFiles({ open: () => sink, maxBufferBytes: 20, dropped });
    const f = files.open('/slow');
    f.write('0123456789abcdef\n'); // larger than the stream's high-water mark: the stream asks to wait
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 10; i++) f.write('line\n');
    expect(dropped.value).toBe(6); // four 5-byte lines fit in 20 bytes
    sink.release();
    await f.flush();
    expect(sink.writes.join('')).toBe(`0123456789abcdef\n${'line\n'.repeat(4)}`);
  });

  it('appends to a file, and reports a path that cannot be opened, dropping its lines', async () => {
    const errors: string[] = [];
    const dropped = { value: 0 };
    const files = new LogFiles({ onError: (p) => errors.push(p), dropped });
    const path = join(dir, 'access.log');
    files.open(path).write('first\n');
    files.open(path).write('second\n');
    await files.flush();
    expect(await readFile(path, 'utf8')).toBe('first\nsecond\n');
    const bad = files.open(join(dir, 'missing', 'dir', 'log'));
    bad.write('x\n');
    await expect.poll(() => errors.length).toBe(1);
    bad.write('y\n');
    expect(dropped.value).toBeGreaterThanOrEqual(1);
    await files.close();
  });
});

describe('openLogSink', () => {
  it.each([
    ['/dev/stdout', process.stdout],
    ['/dev/stderr', process.stderr],
  ] as const)('writes %s through the process stream instead of opening the path (ENXIO when fd 1 is a socket)', async (path, target) => {
    const spy = vi.spyOn(target, 'write').mockImplementation(((_c: unknown, _e: unknown, cb?: () => void) => {
      cb?.();
      return true;
    }) as typeof target.write);
    try {
      const sink = openLogSink(path);
      await new Promise<void>((r) => sink.write('line\n', () => r()));
      await new Promise<void>((r) => sink.end(() => r()));
      expect(spy.mock.calls.map((c) => String(c[0]))).toEqual(['line\n']);
      expect(target.writable).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});
