// Downstream TLS termination in front of a filter chain's network filter: the accepted socket is
// handed to an unbound node:tls Server (so Node runs the handshake, the handshake timeout and the
// client-certificate verification exactly as for its own servers), and the decrypted TLSSocket goes
// to the chain's filter (http_connection_manager, tcp_proxy). A failed handshake or a refused peer
// closes that connection only and is counted (listener.<name>.ssl.connection_error).
// With SDS-named material the server's secure context is swapped (setSecureContext) when a secret
// changed, before the next handshake: live sessions keep theirs. While a secret is missing (its
// initial fetch timed out) connections are closed, as Envoy fails handshakes without a certificate.
import type net from 'node:net';
import tls from 'node:tls';
import type { NetworkFilter } from '../listener/listener-manager.js';
import type { PeerValidation } from './common-tls-context.js';
import type { DownstreamTls } from './downstream-tls-context.js';
import type { ResolvedTls } from './dynamic-tls.js';

export interface TlsTerminationOptions {
  readonly tls: DownstreamTls;
  readonly inner: NetworkFilter;
  /** A handshake succeeded and the peer was accepted (ssl.handshake). */
  readonly onHandshake?: () => void;
  /** A handshake failed or the peer was refused (ssl.connection_error). */
  readonly onError?: (reason: string) => void;
}

export class TlsTerminatingFilter implements NetworkFilter {
  private readonly server: tls.Server;
  private withoutAlpn: tls.Server | undefined;
  /** The peer checks in force (from the static config, or from the SDS validation context). */
  private validation: PeerValidation | undefined;
  /** The SDS material the servers were last given. */
  private applied: ResolvedTls | undefined;

  constructor(private readonly options: TlsTerminationOptions) {
    this.validation = options.tls.validation;
    // With SDS the first secure context is installed on the first connection (refresh()).
    this.server = this.createServer(options.tls.dynamic ? this.baseOptions() : options.tls.serverOptions);
  }

  onConnection(socket: net.Socket): void {
    if (!this.refresh(socket)) return;
    this.terminate(socket, this.server);
  }

  /** Installs rotated SDS material; false (connection closed, counted) while a secret is missing. */
  private refresh(socket: net.Socket): boolean {
    const dynamic = this.options.tls.dynamic;
    if (!dynamic) return true;
    const current = dynamic.current();
    if (typeof current === 'string') {
      this.options.onError?.(current);
      socket.destroy();
      return false;
    }
    if (current !== this.applied) {
      this.applied = current;
      this.validation = current.validation;
      this.server.setSecureContext(current.secure);
      this.withoutAlpn?.setSecureContext(current.secure);
    }
    return true;
  }

  /** Server options without certificate material (the SDS material comes with setSecureContext). */
  private baseOptions(): tls.TlsOptions {
    const { cert: _c, key: _k, pfx: _p, ca: _a, crl: _r, ...rest } = this.options.tls.serverOptions;
    return rest;
  }

  /**
   * After the TLS inspector read the ClientHello. Node refuses a client whose ALPN list shares
   * nothing with ours (fatal no_application_protocol); Envoy (BoringSSL) carries on without ALPN,
   * so such a client is handed to a twin server that offers none.
   */
  onInspectedConnection(socket: net.Socket, clientAlpn: readonly string[]): void {
    const ours = this.options.tls.alpn;
    const disjoint = ours.length > 0 && clientAlpn.length > 0 && !clientAlpn.some((p) => ours.includes(p));
    if (!this.refresh(socket)) return;
    if (!disjoint) return this.terminate(socket, this.server);
    const twin = (this.withoutAlpn ??= this.createServer({ ...this.options.tls.serverOptions, ...(this.applied?.secure ?? {}), ALPNProtocols: undefined }));
    this.terminate(socket, twin);
  }

  /** The inner filter drains; connections that still arrive (a graceful drain keeps accepting) are served by it. */
  drain(): void {
    this.options.inner.drain();
  }

  private createServer(options: tls.TlsOptions): tls.Server {
    const server = tls.createServer(options);
    server.on('secureConnection', (s: tls.TLSSocket) => this.onSecure(s));
    server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => {
      this.options.onError?.(e.message);
      s.destroy();
    });
    return server;
  }

  private terminate(socket: net.Socket, server: tls.Server): void {
    // The TLS socket owns the stream from here; a late error on the raw socket only closes it.
    socket.on('error', () => socket.destroy());
    server.emit('connection', socket);
  }

  private onSecure(socket: tls.TLSSocket): void {
    const refused = this.refusal(socket);
    if (refused) {
      this.options.onError?.(refused);
      socket.destroy();
      return;
    }
    this.options.onHandshake?.();
    // Until the network filter attaches its own handlers (HTTP AUTO waits for the first byte), a
    // reset on the established session must close it, not go unhandled.
    socket.on('error', () => socket.destroy());
    this.options.inner.onConnection(socket);
  }

  /** Why the established session must not be served, if it must not (fail closed). */
  private refusal(socket: tls.TLSSocket): string | undefined {
    const t = this.options.tls;
    const validation = this.validation;
    if (t.requireSni && !socket.servername) return 'the client sent no SNI';
    if (!validation && !t.requireClientCertificate) return undefined;
    const cert = socket.getPeerCertificate();
    const presented = cert !== null && cert !== undefined && Object.keys(cert).length > 0;
    if (!presented) return t.requireClientCertificate ? 'the client sent no certificate' : undefined;
    // A certificate that is presented is verified even when not required (Envoy does the same).
    if (!socket.authorized && !validation?.acceptUntrusted) return `client certificate rejected: ${String(socket.authorizationError ?? 'unverified')}`;
    return validation?.validator?.verify(cert);
  }
}
