// The fault filter's response_rate_limit: the response body is let through at most `kbps` KiB per
// second, in slices of a sixteenth of a second (Envoy's fault rate limiter ticks at 1/16 s).
import { Transform, type TransformCallback } from 'node:stream';

const TICK_MS = 1000 / 16;

export function pacer(kbps: number): Transform {
  const perTick = Math.max(1, Math.floor((kbps * 1024) / 16));
  let sentAt = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      let offset = 0;
      const push = () => {
        const slice = chunk.subarray(offset, offset + perTick);
        offset += slice.length;
        sentAt = Date.now();
        this.push(slice);
        if (offset >= chunk.length) done();
        else setTimeout(push, TICK_MS);
      };
      const wait = sentAt === 0 ? 0 : Math.max(0, sentAt + TICK_MS - Date.now());
      if (wait === 0) push();
      else setTimeout(push, wait);
    },
  });
}
