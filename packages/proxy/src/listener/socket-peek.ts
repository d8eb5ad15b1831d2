// What every listener filter that reads the first bytes of a connection shares (tls_inspector,
// http_inspector): read until `decide` has an answer, the connection ends, or the time is over; then
// pause the socket and put every byte read back (unshift), so the chosen filter chain sees the stream
// from its first byte. `done` is called exactly once, synchronously from the socket event that
// decided, so nothing can be emitted between the decision and the hand-off.
import type net from 'node:net';

export type PeekEnd = { readonly kind: 'timeout' | 'closed' };

export interface PeekDecision<R> {
  readonly result: R;
  /** The connection carries on with this result (its bytes are put back); false: it is closed. */
  readonly carriesOn: boolean;
}

/** `decide` sees each chunk as it arrives; it returns undefined while it needs more bytes. */
export function peekSocket<R>(socket: net.Socket, timeoutMs: number, decide: (chunk: Buffer) => PeekDecision<R> | undefined, done: (result: R | PeekEnd) => void): void {
  const chunks: Buffer[] = [];
  let settled = false;
  const finish = (result: R | PeekEnd, carriesOn: boolean): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.pause();
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.off('error', onEnd);
    // Only a connection that carries on gets its bytes back; one that ended or overflowed is closed.
    if (carriesOn && chunks.length > 0 && !socket.destroyed && !socket.readableEnded) socket.unshift(Buffer.concat(chunks));
    done(result);
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    const d = decide(chunk);
    if (d) finish(d.result, d.carriesOn);
  };
  const onEnd = (): void => finish({ kind: 'closed' }, false);
  const timer = timeoutMs > 0 ? setTimeout(() => finish({ kind: 'timeout' }, true), timeoutMs) : undefined;
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('close', onEnd);
  socket.once('error', onEnd);
  // A socket handed over paused (an earlier listener filter inspected it) flows again, bytes put back first.
  socket.resume();
}
