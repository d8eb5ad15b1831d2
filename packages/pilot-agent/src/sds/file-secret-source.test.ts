// FileSecretSource over real files: first read, a Kubernetes-style rotation noticed through the
// directory watch (the poll is set far out of reach) or through the poll alone, a bad key that keeps
// the last good secret, a touched-but-unchanged file that pushes nothing, and release of the watch.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs } from '../../test/log-capture.js';
import { SecretVolume } from '../../test/secret-volume.js';
import type { FileSecretName, LoadedSecret } from './file-secret.js';
import { FileSecretSource } from './file-secret-source.js';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const pemOf = (s: LoadedSecret | undefined) => (s?.message as { tls_certificate?: { certificate_chain: { inline_bytes: Buffer } } } | undefined)?.tls_certificate?.certificate_chain.inline_bytes.toString();

describe.skipIf(!hasOpenssl())('FileSecretSource', () => {
  let pki: TestPki;
  let ca: KeyPair, v1: KeyPair, v2: KeyPair, v3: KeyPair;
  let dir: string;
  let n = 0;

  beforeAll(() => {
    pki = new TestPki();
    ca = pki.ca('Source Root');
    v1 = pki.leaf(ca, 'v1.example.com');
    v2 = pki.leaf(ca, 'v2.example.com');
    v3 = pki.leaf(ca, 'v3.example.com');
    dir = mkdtempSync(join(tmpdir(), 'weft-source-'));
  });
  afterAll(() => {
    pki?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function volume(k: KeyPair): { vol: SecretVolume; spec: Extract<FileSecretName, { kind: 'file-cert' }> } {
    const vol = new SecretVolume(join(dir, `vol-${++n}`));
    vol.write({ 'tls.crt': k.cert, 'tls.key': k.key });
    const certPath = vol.path('tls.crt');
    const keyPath = vol.path('tls.key');
    return { vol, spec: { kind: 'file-cert', name: `file-cert:${certPath}~${keyPath}`, certPath, keyPath } };
  }

  it('reads on first subscribe and pushes a rotation seen through the directory watch', async () => {
    const logs = captureLogs();
    const source = new FileSecretSource({ logger: logs.logger, pollIntervalMs: 3_600_000 });
    const { vol, spec } = volume(v1);
    const updates: LoadedSecret[] = [];
    const sub = source.subscribe(spec, (s) => updates.push(s));
    expect(pemOf(sub.current())).toBe(v1.cert);
    expect(updates).toEqual([]);
    const first = sub.current()!.version;
    vol.write({ 'tls.crt': v2.cert, 'tls.key': v2.key });
    await until(() => updates.length === 1, 'the rotation');
    expect(pemOf(updates[0])).toBe(v2.cert);
    expect(updates[0]!.version).not.toBe(first);
    expect(sub.current()).toBe(updates[0]);
    expect((await logs.waitFor('secret files changed; pushing the new secret'))['module']).toBe('sds');
    sub.close();
    source.close();
  });

  it('notices a change by the periodic re-stat alone when the directory appears later', async () => {
    const logs = captureLogs();
    const source = new FileSecretSource({ logger: logs.logger, pollIntervalMs: 30 });
    const later = join(dir, 'later');
    const spec: FileSecretName = { kind: 'file-root', name: `file-root:${later}/ca.crt`, caPath: join(later, 'ca.crt') };
    const updates: LoadedSecret[] = [];
    const sub = source.subscribe(spec, (s) => updates.push(s));
    expect(sub.current()).toBeUndefined();
    const error = await logs.waitFor(`SDS secret ${spec.name} is not sent: ${spec.caPath}: cannot read the file (ENOENT)`);
    expect(error).toMatchObject({ level: 'error', code: 'WEFT_AGENT_SDS_SECRET_FILE', path: spec.caPath, secret: spec.name });
    new SecretVolume(later).write({ 'ca.crt': ca.cert });
    await until(() => updates.length === 1, 'the CA to be read');
    expect(sub.current()).toBe(updates[0]);
    sub.close();
    source.close();
  });

  it('keeps the last good secret when the new key does not match, then takes the next good one', async () => {
    const logs = captureLogs();
    const source = new FileSecretSource({ logger: logs.logger, pollIntervalMs: 3_600_000 });
    const { vol, spec } = volume(v1);
    const updates: LoadedSecret[] = [];
    const sub = source.subscribe(spec, (s) => updates.push(s));
    const good = sub.current();
    vol.write({ 'tls.crt': v2.cert, 'tls.key': v3.key });
    const line = await logs.waitFor(`SDS secret ${spec.name} is not sent: ${spec.keyPath}: the private key does not match the certificate in ${spec.certPath}; the last good secret stays`);
    expect(line).toMatchObject({ code: 'WEFT_AGENT_SDS_SECRET_FILE', path: spec.keyPath, keptVersion: good!.version });
    expect(sub.current()).toBe(good);
    vol.write({ 'tls.crt': v3.cert, 'tls.key': v3.key });
    await until(() => updates.length === 1, 'the good pair');
    expect(pemOf(updates[0])).toBe(v3.cert);
    sub.close();
    source.close();
  });

  it('pushes nothing when a file is touched but its content is the same', () => {
    const logs = captureLogs();
    const source = new FileSecretSource({ logger: logs.logger, pollIntervalMs: 3_600_000 });
    const path = join(dir, `plain-${++n}.pem`);
    writeFileSync(path, ca.cert);
    const updates: LoadedSecret[] = [];
    const sub = source.subscribe({ kind: 'file-root', name: `file-root:${path}`, caPath: path }, (s) => updates.push(s));
    utimesSync(path, new Date(), new Date(Date.now() + 60_000));
    source.checkNow();
    expect(updates).toEqual([]);
    expect(logs.lines.some((l) => l['msg'] === 'secret files touched, content unchanged')).toBe(true);
    sub.close();
    source.close();
  });

  it('shares one read between subscribers and stops watching when the last one leaves', () => {
    const source = new FileSecretSource({ logger: captureLogs().logger, pollIntervalMs: 3_600_000 });
    const { spec } = volume(v1);
    const a = source.subscribe(spec, () => undefined);
    const b = source.subscribe(spec, () => undefined);
    expect(b.current()).toBe(a.current());
    a.close();
    expect(source.watchedNames).toEqual([spec.name]);
    b.close();
    expect(source.watchedNames).toEqual([]);
    source.close();
  });
});
