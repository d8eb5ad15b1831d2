// Two protections for each downstream HTTP/2 connection that Node's server lacks.
// 1. Premature resets (CVE-2023-44487, "rapid reset"): a client that opens streams and cancels them
//    at once costs the proxy work per stream while it stays under max_concurrent_streams. As Envoy
//    does, once a connection has carried PREMATURE_RESET_MIN_STREAMS streams and at least half of
//    them were reset by the client before their response ended, it is closed with GOAWAY
//    ENHANCE_YOUR_CALM. (nghttp2's own reset rate limit is a second line behind this.)
// 2. A silent peer: when nghttp2 meets a connection error (a garbage frame) it sends GOAWAY and stops
//    reading, but Node never closes the socket. After a quiet period the guard sends one PING; a peer
//    or a session that does not answer in time is closed. With http2_protocol_options
//    connection_keepalive the PING is periodic, at its interval and timeout.
import http2 from 'node:http2';

export const PREMATURE_RESET_MIN_STREAMS = 500;

export interface Http2GuardOptions {
  /** Silence before a PING is sent. */
  readonly idleProbeMs: number;
  /** Time a PING has to be answered before the connection is closed. */
  readonly probeTimeoutMs: number;
  /** Ping at every quiet period even without new streams (connection_keepalive). */
  readonly periodic: boolean;
  /** Called when the guard closes a connection, with the reason (stats, logs). */
  readonly onClose?: (reason: 'premature_resets' | 'ping_timeout') => void;
}

const { NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

export function guardHttp2Session(session: http2.ServerHttp2Session, options: Http2GuardOptions): void {
  let streams = 0;
  let prematureResets = 0;
  let activeSinceProbe = true;
  let probing = false;

  const onAborted = (): void => {
    // 'aborted' fires for a stream closed by the peer while the response was still open.
    prematureResets++;
    if (streams >= PREMATURE_RESET_MIN_STREAMS && prematureResets * 2 >= streams && !session.destroyed) {
      options.onClose?.('premature_resets');
      session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
      session.destroy();
    }
  };
  session.on('stream', (stream: http2.ServerHttp2Stream) => {
    streams++;
    activeSinceProbe = true;
    stream.once('aborted', onAborted);
  });

  session.setTimeout(options.idleProbeMs, () => {
    if (probing || session.destroyed || (!activeSinceProbe && !options.periodic)) return;
    activeSinceProbe = false;
    probing = true;
    const timer = setTimeout(() => {
      options.onClose?.('ping_timeout');
      session.destroy();
    }, options.probeTimeoutMs);
    timer.unref();
    const sent = session.ping((err) => {
      clearTimeout(timer);
      probing = false;
      if (err && !session.destroyed) session.destroy();
    });
    if (!sent) {
      clearTimeout(timer);
      probing = false;
    }
  });
}
