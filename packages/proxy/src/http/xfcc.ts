// x-forwarded-client-cert, as the HCM's forward_client_cert_details and
// set_current_client_cert_details say: SANITIZE (the default) removes it; FORWARD_ONLY, APPEND_FORWARD
// and SANITIZE_SET act only on mTLS connections (a client certificate was presented) and sanitize on
// the others; ALWAYS_FORWARD_ONLY always passes it on. The element for this hop is
// `By=<our URI SAN>;Hash=<sha256 of the peer certificate>` plus the details asked for (Subject, URI,
// DNS, Cert, Chain), computed once per connection.
import { createHash, X509Certificate } from 'node:crypto';
import type net from 'node:net';
import type tls from 'node:tls';
import type { HeaderMap } from './headers.js';

export type ForwardClientCertDetails = 'SANITIZE' | 'FORWARD_ONLY' | 'APPEND_FORWARD' | 'SANITIZE_SET' | 'ALWAYS_FORWARD_ONLY';

export interface ClientCertDetails {
  readonly subject: boolean;
  readonly cert: boolean;
  readonly chain: boolean;
  readonly dns: boolean;
  readonly uri: boolean;
}

export interface XfccPolicy {
  readonly mode: ForwardClientCertDetails;
  readonly details: ClientCertDetails;
}

export const DEFAULT_XFCC: XfccPolicy = { mode: 'SANITIZE', details: { subject: false, cert: false, chain: false, dns: false, uri: false } };

const HEADER = 'x-forwarded-client-cert';
const ELEMENT = Symbol('weft.xfccElement');

type Tagged = { [ELEMENT]?: string | null };

function quote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function sans(cert: X509Certificate | undefined, kind: 'URI' | 'DNS'): string[] {
  const alt = cert?.subjectAltName;
  if (!alt) return [];
  const out: string[] = [];
  for (const part of alt.split(/,\s*/)) if (part.startsWith(`${kind}:`)) out.push(part.slice(kind.length + 1));
  return out;
}

function pem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

/** This hop's XFCC element for an mTLS connection; null when no client certificate was presented. */
export function xfccElement(socket: tls.TLSSocket, details: ClientCertDetails): string | null {
  const peer = socket.getPeerCertificate(details.chain);
  if (!peer || !peer.raw) return null;
  const local = socket.getX509Certificate?.();
  const peerX509 = new X509Certificate(peer.raw);
  const parts: string[] = [];
  for (const uri of sans(local, 'URI')) parts.push(`By=${uri}`);
  parts.push(`Hash=${createHash('sha256').update(peer.raw).digest('hex')}`);
  if (details.cert) parts.push(`Cert=${quote(encodeURIComponent(pem(peer.raw)))}`);
  if (details.chain) {
    const chain: string[] = [];
    let c: tls.DetailedPeerCertificate | undefined = peer as tls.DetailedPeerCertificate;
    const seen = new Set<Buffer>();
    while (c?.raw && !seen.has(c.raw)) {
      seen.add(c.raw);
      chain.push(pem(c.raw));
      c = c.issuerCertificate;
    }
    parts.push(`Chain=${quote(encodeURIComponent(chain.join('')))}`);
  }
  if (details.subject) parts.push(`Subject=${quote(peerX509.subject.split('\n').reverse().join(','))}`);
  if (details.uri) for (const uri of sans(peerX509, 'URI')) parts.push(`URI=${uri}`);
  if (details.dns) for (const dns of sans(peerX509, 'DNS')) parts.push(`DNS=${dns}`);
  return parts.join(';');
}

function elementOf(socket: net.Socket | undefined, details: ClientCertDetails): string | null {
  if (!socket || !(socket as { encrypted?: boolean }).encrypted) return null;
  const tagged = socket as Tagged;
  if (tagged[ELEMENT] === undefined) tagged[ELEMENT] = xfccElement(socket as tls.TLSSocket, details);
  return tagged[ELEMENT] ?? null;
}

/** Applies the policy to the upstream request headers. */
export function applyXfcc(headers: HeaderMap, socket: net.Socket | undefined, policy: XfccPolicy): void {
  if (policy.mode === 'ALWAYS_FORWARD_ONLY') return;
  if (policy.mode === 'SANITIZE') {
    delete headers[HEADER];
    return;
  }
  const element = elementOf(socket, policy.details);
  if (element === null) {
    delete headers[HEADER];
    return;
  }
  if (policy.mode === 'FORWARD_ONLY') return;
  if (policy.mode === 'SANITIZE_SET') {
    headers[HEADER] = element;
    return;
  }
  const prior = headers[HEADER];
  const text = prior === undefined ? '' : Array.isArray(prior) ? prior.join(',') : prior;
  headers[HEADER] = text ? `${text},${element}` : element;
}
