// Throw-away certificates for TLS tests (proxy tests and e2e stories), made with the openssl CLI (Node
// cannot issue certificates): a CA, and leaf certificates it signs (P-256 keys, two days, serverAuth + clientAuth).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  readonly name: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  readonly key: string;
}

export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'weft-pki-'));
  private serial = 0x1000;

  /** A self-signed CA. */
  ca(name: string): KeyPair {
    const base = join(this.dir, slug(name));
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return pair(name, base);
  }

  /** A leaf signed by `ca`, with DNS SANs (and IP 127.0.0.1). */
  leaf(ca: KeyPair, name: string, sans: readonly string[] = [name]): KeyPair {
    const base = join(this.dir, slug(name));
    const csr = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-subj', `/CN=${name}`]);
    const ext = `${base}.ext`;
    const altNames = [...sans.map((s) => (s.includes('://') ? `URI:${s}` : `DNS:${s}`)), 'IP:127.0.0.1'].join(',');
    writeFileSync(ext, `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
    openssl(['x509', '-req', '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', String(this.serial++), '-days', '2', '-extfile', ext, '-out', `${base}.pem`], csr);
    return pair(name, base);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function slug(name: string): string {
  return name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
}

function pair(name: string, base: string): KeyPair {
  return { name, certPath: `${base}.pem`, keyPath: `${base}.key`, cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') };
}

function openssl(args: readonly string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { input: input ?? Buffer.alloc(0), stdio: ['pipe', 'pipe', 'pipe'] });
}
