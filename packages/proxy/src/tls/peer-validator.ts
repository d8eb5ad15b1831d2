// Checks on the peer certificate beyond its chain (which OpenSSL verifies against trusted_ca):
// subject alt names (match_subject_alt_names, match_typed_subject_alt_names), certificate hash and
// SPKI pins (verify_certificate_hash, verify_certificate_spki). Envoy accepts a certificate when any
// SAN matcher matches and, separately, when any hash or any SPKI pin matches.
import { createHash, X509Certificate } from 'node:crypto';
import type { IssueCollector } from '@weft/base';
import { compileStringMatcher, type StringMatch } from '../router/string-matcher.js';
import type { CertificateValidationContextConfig, SanType } from './tls-config.js';

/** What the validator reads of a peer certificate (Node's `PeerCertificate` fits it). */
export interface PeerCertificateLike {
  readonly raw?: Buffer;
  readonly subjectaltname?: string;
}

export interface PeerValidator {
  /** Undefined when the certificate is acceptable, else why not. */
  verify(cert: PeerCertificateLike | undefined): string | undefined;
}

type Kind = 'DNS' | 'URI' | 'EMAIL' | 'IP_ADDRESS' | 'OTHER_NAME';
interface SanMatcher {
  readonly kinds: readonly Kind[];
  readonly match: StringMatch;
  /** For DNS exact matchers: the name, so that a wildcard certificate SAN can match it. */
  readonly exactDns?: string;
}

/** Node prints SAN types as OpenSSL does. */
const NODE_SAN_KINDS: Record<string, Kind> = { DNS: 'DNS', URI: 'URI', email: 'EMAIL', 'IP Address': 'IP_ADDRESS', othername: 'OTHER_NAME' };
const TYPED_KINDS: Record<string, Kind | undefined> = { EMAIL: 'EMAIL', 1: 'EMAIL', DNS: 'DNS', 2: 'DNS', URI: 'URI', 3: 'URI', IP_ADDRESS: 'IP_ADDRESS', 4: 'IP_ADDRESS' };

/**
 * Parses Node's `subjectaltname` ("DNS:a.example, URI:spiffe://…, IP Address:10.0.0.1"). Values
 * that contain separators are JSON-quoted by Node, so they are unquoted here.
 */
export function parseSubjectAltNames(text: string | undefined): Array<{ kind: Kind; value: string }> {
  const out: Array<{ kind: Kind; value: string }> = [];
  if (!text) return out;
  const entry = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = entry.exec(text); m; m = entry.exec(text)) {
    const kind = NODE_SAN_KINDS[m[1] ?? ''];
    if (!kind) continue;
    let value = m[2] ?? '';
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    out.push({ kind, value });
  }
  return out;
}

/** A certificate SAN `*.example.com` covers exactly one label: `a.example.com`, not `a.b.example.com`. */
function wildcardCovers(certSan: string, name: string): boolean {
  if (!certSan.startsWith('*.')) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot).toLowerCase() === certSan.slice(1).toLowerCase();
}

function normalizeHash(h: string): string {
  return h.replace(/:/g, '').toLowerCase();
}

/** Compiles the non-chain checks of a validation context; undefined when it has none. */
export function compilePeerValidator(vc: CertificateValidationContextConfig, issues: IssueCollector): PeerValidator | undefined {
  const sans: SanMatcher[] = [];
  (vc.match_subject_alt_names ?? []).forEach((m, i) => {
    // The untyped form matches any of the name kinds Envoy compares (DNS, URI, email, IP).
    const exactDns = m.match_pattern === 'exact' && !m.ignore_case ? m.exact : undefined;
    sans.push({ kinds: ['DNS', 'URI', 'EMAIL', 'IP_ADDRESS'], match: compileStringMatcher(m, issues.at('match_subject_alt_names', i)), ...(exactDns ? { exactDns } : {}) });
  });
  (vc.match_typed_subject_alt_names ?? []).forEach((m, i) => {
    const at = issues.at('match_typed_subject_alt_names', i);
    const kind = TYPED_KINDS[String(m.san_type ?? 'SAN_TYPE_UNSPECIFIED') as SanType];
    if (!kind) return at.at('san_type').error(`SAN type ${String(m.san_type)} is not supported (EMAIL, DNS, URI, IP_ADDRESS)`);
    if (!m.matcher) return at.at('matcher').error('a matcher is required');
    const exactDns = kind === 'DNS' && m.matcher.match_pattern === 'exact' && !m.matcher.ignore_case ? m.matcher.exact : undefined;
    sans.push({ kinds: [kind], match: compileStringMatcher(m.matcher, at.at('matcher')), ...(exactDns ? { exactDns } : {}) });
  });
  const hashes = new Set((vc.verify_certificate_hash ?? []).map(normalizeHash));
  [...hashes].forEach((h, i) => {
    if (!/^[0-9a-f]{64}$/.test(h)) issues.at('verify_certificate_hash', i).error('a SHA-256 hash is 64 hex digits (colons allowed)');
  });
  const spkis = new Set(vc.verify_certificate_spki ?? []);
  [...spkis].forEach((s, i) => {
    if (Buffer.from(s, 'base64').length !== 32) issues.at('verify_certificate_spki', i).error('an SPKI pin is the base64 SHA-256 of the SubjectPublicKeyInfo');
  });
  if (sans.length === 0 && hashes.size === 0 && spkis.size === 0) return undefined;
  return { verify: (cert) => verifyPeer(cert, sans, hashes, spkis) };
}

function verifyPeer(cert: PeerCertificateLike | undefined, sans: readonly SanMatcher[], hashes: ReadonlySet<string>, spkis: ReadonlySet<string>): string | undefined {
  if (!cert?.raw) return 'no peer certificate';
  if (hashes.size > 0 || spkis.size > 0) {
    const hashOk = hashes.size > 0 && hashes.has(createHash('sha256').update(cert.raw).digest('hex'));
    const spkiOk = spkis.size > 0 && spkis.has(spkiPin(cert.raw));
    if (!hashOk && !spkiOk) return 'certificate hash / SPKI does not match';
  }
  if (sans.length > 0) {
    const names = parseSubjectAltNames(cert.subjectaltname);
    const ok = sans.some((m) =>
      names.some((n) => m.kinds.includes(n.kind) && (m.match.match(n.value) || (n.kind === 'DNS' && m.exactDns !== undefined && wildcardCovers(n.value, m.exactDns)))),
    );
    if (!ok) return 'no subject alt name matches';
  }
  return undefined;
}

function spkiPin(der: Buffer): string {
  try {
    const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(spki).digest('base64');
  } catch {
    return '';
  }
}
