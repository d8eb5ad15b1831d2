// The drain of one http_connection_manager (Envoy's HCM drain sequence). Once the listener drains:
// every HTTP/2 connection gets a GOAWAY notice (last stream id 2^31-1: streams already on the way
// are still served, the client opens no more) and every HTTP/1.1 response is sent with
// `connection: close`, closing its connection after it. After drain_timeout (default 5 s) the
// sweep closes the HTTP/1.1 connections left idle (and, from then on, each one as it goes idle),
// closes connections that never sent a byte, and sends HTTP/2 connections the final GOAWAY (their
// open streams finish, then they close). With --drain-strategy gradual, a growing share of the
// responses and new streams is asked to close over the drain time, and the sweep waits for its end.
import type http2 from 'node:http2';
import type net from 'node:net';
import { drainClose, drainSweepDelayMs, type DrainSettings } from '../listener/drain-strategy.js';

/** The GOAWAY notice's last stream id: the largest one, so no stream the client already sent is refused. */
const NOTICE_LAST_STREAM_ID = 2 ** 31 - 1;
const NGHTTP2_NO_ERROR = 0;

export interface ConnectionDrainOptions {
  readonly settings: DrainSettings;
  /** The HCM's drain_timeout. */
  readonly drainTimeoutMs: number;
  readonly random: () => number;
  /** A connection was asked to close because of the drain (http.<prefix>.downstream_cx_drain_close). */
  readonly onDrainClose?: () => void;
  /** Closes the HTTP/1.1 connections that carry no request (Node's closeIdleConnections). */
  readonly closeIdleHttp1: () => void;
  /** After the sweep, the last HTTP/1.1 connection closed: the codec may stop its timers. */
  readonly onHttp1Gone?: () => void;
}

export class ConnectionDrain {
  private startedAt: number | undefined;
  private swept = false;
  private readonly http1 = new Set<net.Socket>();
  /** AUTO connections that have not sent their first byte (no codec owns them yet). */
  private readonly undecided = new Set<net.Socket>();
  private readonly http2 = new Set<http2.ServerHttp2Session>();
  private readonly noticed = new WeakSet<http2.ServerHttp2Session>();
  private readonly counted = new WeakSet<object>();

  constructor(private readonly options: ConnectionDrainOptions) {}

  get draining(): boolean {
    return this.startedAt !== undefined;
  }

  /** Starts the drain (idempotent). */
  start(): void {
    if (this.startedAt !== undefined) return;
    this.startedAt = Date.now();
    for (const s of this.http2) if (this.drainClose()) this.notice(s);
    setTimeout(() => this.sweep(), drainSweepDelayMs(this.options.settings, this.options.drainTimeoutMs)).unref();
  }

  trackHttp1(socket: net.Socket): void {
    this.http1.add(socket);
    socket.once('close', () => {
      this.http1.delete(socket);
      if (this.swept && this.http1.size === 0) this.options.onHttp1Gone?.();
    });
  }

  /** An AUTO connection waiting for its first byte; call the returned function once a codec owns it. */
  trackUndecided(socket: net.Socket): () => void {
    this.undecided.add(socket);
    const decided = () => this.undecided.delete(socket);
    socket.once('close', decided);
    return () => {
      socket.removeListener('close', decided);
      decided();
    };
  }

  trackHttp2(session: http2.ServerHttp2Session): void {
    this.http2.add(session);
    session.once('close', () => this.http2.delete(session));
    if (this.startedAt === undefined) return;
    if (this.swept) this.close(session);
    else if (this.drainClose()) this.notice(session);
  }

  /** An HTTP/1.1 response head is about to be written: true when it must carry `connection: close`. */
  closeHttp1Response(socket: net.Socket | null | undefined): boolean {
    if (this.startedAt === undefined || !this.drainClose()) return false;
    if (socket) this.count(socket);
    return true;
  }

  /** A new HTTP/2 stream on a draining connection: gradual drain may pick its connection now. */
  onHttp2Stream(session: http2.ServerHttp2Session | undefined): void {
    if (session && this.startedAt !== undefined && !this.noticed.has(session) && this.drainClose()) this.notice(session);
  }

  /** An HTTP/1.1 response is done: after the sweep its connection closes as soon as it is idle. */
  onHttp1ResponseDone(): void {
    if (this.swept) setImmediate(() => this.options.closeIdleHttp1());
  }

  private drainClose(): boolean {
    return drainClose(this.options.settings, Date.now() - (this.startedAt ?? Date.now()), this.options.random);
  }

  private sweep(): void {
    this.swept = true;
    for (const s of this.http2) this.close(s);
    for (const s of this.undecided) {
      this.count(s);
      s.destroy();
    }
    const open = [...this.http1].filter((s) => !s.destroyed);
    this.options.closeIdleHttp1();
    for (const s of open) if (s.destroyed) this.count(s);
    if (this.http1.size === 0) this.options.onHttp1Gone?.();
  }

  private notice(session: http2.ServerHttp2Session): void {
    if (this.noticed.has(session) || session.closed || session.destroyed) return;
    this.noticed.add(session);
    this.count(session);
    session.goaway(NGHTTP2_NO_ERROR, NOTICE_LAST_STREAM_ID);
  }

  /** The final GOAWAY: Node's close() names the last stream it received and closes once the open ones end. */
  private close(session: http2.ServerHttp2Session): void {
    if (session.closed || session.destroyed) return;
    this.count(session);
    session.close();
  }

  private count(connection: object): void {
    if (this.counted.has(connection)) return;
    this.counted.add(connection);
    this.options.onDrainClose?.();
  }
}
