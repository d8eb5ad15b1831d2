// SDS resource names (pure). Istio names the secrets of file-mounted certificates by their paths:
// `file-cert:<certPath>~<keyPath>` (a tls_certificate) and `file-root:<caPath>` (a validation_context),
// which istiod sends for a Gateway server's serverCertificate/privateKey/caCertificates and for a
// DestinationRule's clientCertificate/privateKey/caCertificates. `default` (the workload certificate)
// and `ROOTCA` (the mesh root) need Citadel and are not served yet.
import { posix } from 'node:path';

export const FILE_CERT_PREFIX = 'file-cert:';
export const FILE_ROOT_PREFIX = 'file-root:';
/** Separates the certificate and key paths of a `file-cert:` name. */
export const RESOURCE_SEPARATOR = '~';
/** The workload certificate Envoy asks for (Istio's WorkloadKeyCertResourceName). */
export const WORKLOAD_CERT_NAME = 'default';
/** The mesh root certificate Envoy asks for (Istio's RootCertReqResourceName). */
export const ROOT_CA_NAME = 'ROOTCA';

export type SecretName =
  | { readonly kind: 'file-cert'; readonly name: string; readonly certPath: string; readonly keyPath: string }
  | { readonly kind: 'file-root'; readonly name: string; readonly caPath: string }
  /** A name this agent does not serve (yet): it stays pending; `reason` says why. */
  | { readonly kind: 'unserved'; readonly name: string; readonly reason: string }
  /** A `file-cert:`/`file-root:` name that is malformed: it stays pending; `reason` says what is wrong. */
  | { readonly kind: 'invalid'; readonly name: string; readonly reason: string };

function pathIssue(what: string, path: string): string | undefined {
  if (path === '') return `the ${what} path is empty`;
  if (path.includes('\0')) return `the ${what} path contains a NUL byte`;
  if (!posix.isAbsolute(path)) return `the ${what} path "${path}" is not absolute`;
  return undefined;
}

/** Classifies an SDS resource name. */
export function parseSecretName(name: string): SecretName {
  if (name.startsWith(FILE_CERT_PREFIX)) {
    const parts = name.slice(FILE_CERT_PREFIX.length).split(RESOURCE_SEPARATOR);
    if (parts.length !== 2) return { kind: 'invalid', name, reason: `expected ${FILE_CERT_PREFIX}<certPath>${RESOURCE_SEPARATOR}<keyPath> with one "${RESOURCE_SEPARATOR}"` };
    const [certPath, keyPath] = parts as [string, string];
    const issue = pathIssue('certificate', certPath) ?? pathIssue('private key', keyPath);
    return issue ? { kind: 'invalid', name, reason: issue } : { kind: 'file-cert', name, certPath, keyPath };
  }
  if (name.startsWith(FILE_ROOT_PREFIX)) {
    const caPath = name.slice(FILE_ROOT_PREFIX.length);
    if (caPath === 'system') return { kind: 'unserved', name, reason: 'the operating system CA bundle (file-root:system) is not served' };
    if (caPath.includes(RESOURCE_SEPARATOR)) return { kind: 'invalid', name, reason: `expected ${FILE_ROOT_PREFIX}<caPath> without "${RESOURCE_SEPARATOR}"` };
    const issue = pathIssue('CA certificate', caPath);
    return issue ? { kind: 'invalid', name, reason: issue } : { kind: 'file-root', name, caPath };
  }
  if (name === WORKLOAD_CERT_NAME) return { kind: 'unserved', name, reason: 'the workload certificate needs Citadel, which pilot-agent does not talk to yet' };
  if (name === ROOT_CA_NAME) return { kind: 'unserved', name, reason: 'the mesh root certificate needs Citadel, which pilot-agent does not talk to yet' };
  return { kind: 'unserved', name, reason: `only ${FILE_CERT_PREFIX}<certPath>${RESOURCE_SEPARATOR}<keyPath> and ${FILE_ROOT_PREFIX}<caPath> are served` };
}

/** The files a served name reads. */
export function secretFiles(name: Extract<SecretName, { kind: 'file-cert' | 'file-root' }>): string[] {
  return name.kind === 'file-cert' ? [name.certPath, name.keyPath] : [name.caPath];
}
