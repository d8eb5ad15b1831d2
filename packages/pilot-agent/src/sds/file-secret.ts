// Reads and checks the PEM files behind a `file-cert:` or `file-root:` name, and builds the
// envoy.extensions.transport_sockets.tls.v3.Secret sent for it (the PEMs inline, as Istio's agent
// sends them). A certificate that does not parse, a key that does not parse or does not belong to the
// certificate, or a CA file without a certificate is refused with the path and the reason.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecretName } from './secret-names.js';

export type FileSecretName = Extract<SecretName, { kind: 'file-cert' | 'file-root' }>;

/** The Secret message in the registry's object form (proto field names; bytes as Buffers). */
export type SecretMessage =
  | { readonly name: string; readonly tls_certificate: { readonly certificate_chain: { readonly inline_bytes: Buffer }; readonly private_key: { readonly inline_bytes: Buffer } } }
  | { readonly name: string; readonly validation_context: { readonly trusted_ca: { readonly inline_bytes: Buffer } } };

export interface LoadedSecret {
  readonly name: string;
  /** A digest of the PEMs: equal content, equal version (so a touched but unchanged file sends nothing). */
  readonly version: string;
  readonly message: SecretMessage;
}

export type LoadResult = { readonly ok: true; readonly secret: LoadedSecret } | { readonly ok: false; readonly path: string; readonly reason: string };

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

class FileProblem extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(reason);
  }
}

function read(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new FileProblem(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Every certificate of a PEM bundle, parsed; at least one. */
function certificates(path: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString('latin1').match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw new FileProblem(path, 'no PEM certificate (-----BEGIN CERTIFICATE-----) in the file');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (e) {
      throw new FileProblem(path, `certificate ${i + 1} of the file does not parse (${(e as Error).message})`);
    }
  });
}

function privateKey(path: string, pem: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new FileProblem(path, `not a usable PEM private key (${(e as Error).message}; encrypted keys are not supported)`);
  }
}

function digest(...parts: Buffer[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p.length)).update(':').update(p);
  return h.digest('hex').slice(0, 16);
}

/** Reads the files of a name now; never throws. */
export function loadFileSecret(spec: FileSecretName): LoadResult {
  try {
    if (spec.kind === 'file-cert') {
      const cert = read(spec.certPath);
      const key = read(spec.keyPath);
      const [leaf] = certificates(spec.certPath, cert) as [X509Certificate];
      const keyObject = privateKey(spec.keyPath, key);
      if (!leaf.checkPrivateKey(keyObject)) throw new FileProblem(spec.keyPath, `the private key does not match the certificate in ${spec.certPath}`);
      return {
        ok: true,
        secret: {
          name: spec.name,
          version: digest(cert, key),
          message: { name: spec.name, tls_certificate: { certificate_chain: { inline_bytes: cert }, private_key: { inline_bytes: key } } },
        },
      };
    }
    const ca = read(spec.caPath);
    certificates(spec.caPath, ca);
    return { ok: true, secret: { name: spec.name, version: digest(ca), message: { name: spec.name, validation_context: { trusted_ca: { inline_bytes: ca } } } } };
  } catch (e) {
    if (e instanceof FileProblem) return { ok: false, path: e.path, reason: e.message };
    throw e;
  }
}
