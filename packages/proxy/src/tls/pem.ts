// PEM TLS material (trusted_ca, certificate_chain, private_key), read and checked when the config is
// applied. Node's createSecureContext takes a CA bundle without a certificate (or with a broken one),
// an empty chain and an empty key without a word, where Envoy rejects the resource ("Failed to load
// trusted CA certificates from <path>", "... certificate chain from ...", "... private key from
// ..."): these checks make that a NACK with the field path. Text outside PEM blocks is ignored, as
// OpenSSL's PEM reader does.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { IssueCollector } from '@weft/base';
import { dataSourceName, readDataSource } from './data-source.js';
import type { DataSourceConfig } from './tls-config.js';

interface PemBlock {
  readonly label: string;
  readonly text: string;
}

/** Labels OpenSSL reads a certificate from. */
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);

function pemBlocks(data: Buffer): { blocks: PemBlock[]; unterminated: boolean } {
  const text = data.toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((m) => ({ label: m[1] ?? '', text: m[0] }));
  const begins = text.match(/-----BEGIN [A-Z0-9 ]+-----/g)?.length ?? 0;
  return { blocks, unterminated: begins > blocks.length };
}

/**
 * trusted_ca and certificate_chain: at least one PEM certificate, each of which parses. `what` is
 * Envoy's noun (`trusted CA certificates`, `certificate chain`), `from` the data source's name.
 */
function checkCertificates(data: Buffer, what: string, from: string, issues: IssueCollector): boolean {
  const fail = (why: string) => (issues.error(`failed to load ${what} from ${from}: ${why}`), false);
  const { blocks, unterminated } = pemBlocks(data);
  if (unterminated) return fail('a PEM block has no END line');
  const certificates = blocks.filter((b) => CERTIFICATE_LABELS.has(b.label));
  if (certificates.length === 0) return fail('no PEM certificate');
  for (const [i, b] of certificates.entries()) {
    // A TRUSTED CERTIFICATE carries OpenSSL trust settings after the certificate: Node cannot parse it alone.
    if (b.label === 'TRUSTED CERTIFICATE') continue;
    try {
      new X509Certificate(b.text);
    } catch (e) {
      return fail(`certificate ${i + 1} does not parse (${(e as Error).message})`);
    }
  }
  return true;
}

/** private_key: a PEM private key that parses (with the certificate's password, if any). */
function checkPrivateKey(data: Buffer, passphrase: string | undefined, from: string, issues: IssueCollector): boolean {
  const fail = (why: string) => (issues.error(`failed to load private key from ${from}: ${why}`), false);
  const { blocks, unterminated } = pemBlocks(data);
  if (unterminated) return fail('a PEM block has no END line');
  const key = blocks.find((b) => b.label.endsWith('PRIVATE KEY'));
  if (!key) return fail('no PEM private key');
  try {
    createPrivateKey({ key: key.text, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
    return true;
  } catch (e) {
    return fail(`the key does not parse (${(e as Error).message})`);
  }
}

/**
 * Reads trusted_ca or certificate_chain (`what`: Envoy's noun for it) and checks it holds certificates;
 * undefined without an error for an empty trusted CA.
 */
export function readPemCertificates(source: DataSourceConfig, what: 'trusted CA certificates' | 'certificate chain', issues: IssueCollector): Buffer | undefined {
  const data = readDataSource(source, issues);
  // Envoy: an empty trusted CA is no CA configured (an empty chain is still refused).
  if (data && data.length === 0 && what === 'trusted CA certificates') return undefined;
  return data && checkCertificates(data, what, dataSourceName(source), issues) ? data : undefined;
}

/** Reads private_key and checks it holds a key that parses. */
export function readPemPrivateKey(source: DataSourceConfig, passphrase: string | undefined, issues: IssueCollector): Buffer | undefined {
  const data = readDataSource(source, issues);
  return data && checkPrivateKey(data, passphrase, dataSourceName(source), issues) ? data : undefined;
}
