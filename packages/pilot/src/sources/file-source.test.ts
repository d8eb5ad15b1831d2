import { mkdtempSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigState } from './config-source.js';
import { FileConfigSource, type FileSourceOptions } from './file-source.js';

const vs = (name: string, host: string) => `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: ${name}
  namespace: default
spec:
  hosts: [${host}]
  http:
  - route:
    - destination:
        host: ${host}
`;

/** Not a valid VirtualService: `timeot` is no field. */
const badVs = (name: string, host: string) => `${vs(name, host)}    timeot: 3s\n`;

function hostsOf(state: ConfigState): string[] {
  return state.configs.map((c) => ((c as { spec: { hosts: string[] } }).spec.hosts ?? []).join(',')).sort();
}

describe('FileConfigSource', () => {
  const dirs: string[] = [];
  const sources: FileConfigSource[] = [];
  afterEach(async () => {
    for (const s of sources.splice(0)) await s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function start(dir: string, resyncMs?: number, extra: Partial<FileSourceOptions> = {}) {
    const states: ConfigState[] = [];
    const logs: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const source = new FileConfigSource({ dir, logger, ...(resyncMs ? { resyncMs } : {}), ...extra });
    sources.push(source);
    // Counts finished reads of the directory (watch events and periodic re-reads alike).
    const inner = source as unknown as { reload: () => Promise<unknown> };
    const reload = inner.reload.bind(source);
    const reads = { count: 0 };
    inner.reload = async () => {
      const r = await reload();
      reads.count++;
      return r;
    };
    return { source, states, logs, reads, started: source.start((s) => states.push(s)) };
  }

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'weft-files-'));
    dirs.push(dir);
    return dir;
  }

  const rejectedOf = (s: ConfigState | undefined) => s?.rejected.map((r) => [r.source, r.errors.map((e) => e.path)]);

  it('sees files renamed over existing ones in subdirectories, one after another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-files-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'istio'));
    writeFileSync(join(dir, 'istio', 'vs.yaml'), vs('a', 'one'));
    const { states, started } = start(dir, 60_000);
    expect(hostsOf(await started)).toEqual(['one']);
    for (const host of ['two', 'three', 'four']) {
      writeFileSync(join(dir, 'istio', 'vs.yaml.tmp'), vs('a', host));
      renameSync(join(dir, 'istio', 'vs.yaml.tmp'), join(dir, 'istio', 'vs.yaml'));
      await expect.poll(() => states.at(-1) && hostsOf(states.at(-1)!), { timeout: 5000, interval: 20 }).toEqual([host]);
    }
    // A directory created after the start is watched too.
    mkdirSync(join(dir, 'later'));
    writeFileSync(join(dir, 'later', 'b.yaml'), vs('b', 'five'));
    await expect.poll(() => states.at(-1) && hostsOf(states.at(-1)!), { timeout: 5000, interval: 20 }).toEqual(['five', 'four']);
  });

  it('re-reads on its own period, so a change is found even without a file event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-files-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'vs.yaml'), vs('a', 'one'));
    const { source, states, started } = start(dir, 100);
    await started;
    // Drop the watchers, as if the kernel had lost the events: only the periodic re-read is left.
    for (const w of (source as unknown as { watchers: Map<string, { close(): void }> }).watchers.values()) w.close();
    (source as unknown as { watchers: Map<string, unknown> }).watchers.clear();
    (source as unknown as { follow: (d: string[]) => void }).follow = () => undefined;
    writeFileSync(join(dir, 'vs.yaml'), vs('a', 'two'));
    await expect.poll(() => states.at(-1) && hostsOf(states.at(-1)!), { timeout: 5000, interval: 20 }).toEqual(['two']);
  });

  it('notifies a rejection at once without a new revision, and its end when the file is fixed or removed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), vs('a', 'one'));
    const { states, started } = start(dir, 60_000);
    const first = await started;
    expect(first.rejected).toEqual([]);
    // A new file that is bad: nothing comes into force, but the rejection is news.
    writeFileSync(join(dir, 'b.yaml'), badVs('b', 'two'));
    await expect.poll(() => rejectedOf(states.at(-1)), { timeout: 5000, interval: 20 }).toEqual([['b.yaml', ['spec.http[0].timeot']]]);
    expect(states.at(-1)!.revision).toBe(first.revision);
    expect(hostsOf(states.at(-1)!)).toEqual(['one']);
    // Fixed: in force, and no longer rejected.
    writeFileSync(join(dir, 'b.yaml'), vs('b', 'two'));
    await expect.poll(() => states.at(-1) && hostsOf(states.at(-1)!), { timeout: 5000, interval: 20 }).toEqual(['one', 'two']);
    expect(states.at(-1)!.rejected).toEqual([]);
    expect(states.at(-1)!.revision).toBe(first.revision + 1);
    // A bad overwrite of a live file keeps its last good version; undoing the edit ends the rejection.
    writeFileSync(join(dir, 'a.yaml'), badVs('a', 'three'));
    await expect.poll(() => rejectedOf(states.at(-1)), { timeout: 5000, interval: 20 }).toEqual([['a.yaml', ['spec.http[0].timeot']]]);
    expect(hostsOf(states.at(-1)!)).toEqual(['one', 'two']);
    writeFileSync(join(dir, 'a.yaml'), vs('a', 'one'));
    await expect.poll(() => rejectedOf(states.at(-1)), { timeout: 5000, interval: 20 }).toEqual([]);
    expect(states.at(-1)!.revision).toBe(first.revision + 1);
    // A rejected file that is removed is no longer reported.
    writeFileSync(join(dir, 'c.yaml'), 'kind: [unclosed\n');
    await expect.poll(() => rejectedOf(states.at(-1)), { timeout: 5000, interval: 20 }).toEqual([['c.yaml', ['']]]);
    unlinkSync(join(dir, 'c.yaml'));
    await expect.poll(() => rejectedOf(states.at(-1)), { timeout: 5000, interval: 20 }).toEqual([]);
    expect(states.at(-1)!.revision).toBe(first.revision + 1);
  });

  it('reports a rejection once per content of the file, not on every re-read', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), vs('a', 'one'));
    writeFileSync(join(dir, 'bad.yaml'), badVs('b', 'two'));
    const { source, states, logs, reads, started } = start(dir, 100);
    await started;
    const rejections = () => logs.filter((l) => l['msg'] === 'config file rejected' && l['file'] === 'bad.yaml').length;
    expect(rejections()).toBe(1);
    const at = source.current().rejected[0]!.at;
    const seen = reads.count;
    await expect.poll(() => reads.count, { timeout: 5000, interval: 10 }).toBeGreaterThanOrEqual(seen + 5);
    expect(rejections()).toBe(1);
    // Re-reads of the same text notify nothing and keep the time the text was first seen.
    expect(states).toEqual([]);
    expect(source.current().rejected[0]!.at).toBe(at);
    // Another bad text is another rejection, reported once again; so is a bad edit of a live file.
    writeFileSync(join(dir, 'bad.yaml'), badVs('b', 'three'));
    writeFileSync(join(dir, 'a.yaml'), badVs('a', 'four'));
    await expect.poll(() => rejections(), { timeout: 5000, interval: 10 }).toBe(2);
    const later = reads.count;
    await expect.poll(() => reads.count, { timeout: 5000, interval: 10 }).toBeGreaterThanOrEqual(later + 5);
    expect(rejections()).toBe(2);
    expect(logs.filter((l) => l['msg'] === 'config file rejected' && l['file'] === 'a.yaml')).toHaveLength(1);
    expect(logs.find((l) => l['file'] === 'a.yaml' && l['msg'] === 'config file rejected')?.['kept']).toBe('last good version');
    expect(hostsOf(source.current())).toEqual(['one']);
  });

  it('reads only the file a watcher named', async () => {
    const dir = tempDir();
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `vs-${i}.yaml`), vs(`v${i}`, `h${i}.example.com`));
    const logs: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    // No periodic whole read during the test: every read after the first is a watcher's.
    const source = new FileConfigSource({ dir, logger, resyncMs: 600_000 });
    sources.push(source);
    const states: ConfigState[] = [];
    await source.start((st) => states.push(st));
    const reads = () => logs.filter((l) => l['msg'] === 'config directory read');
    expect(reads()[0]).toMatchObject({ files: 20, whole: true });
    expect(logs.filter((l) => l['msg'] === 'config file accepted')).toHaveLength(20);
    writeFileSync(join(dir, 'vs-7.yaml'), vs('v7', 'changed.example.com'));
    await expect.poll(() => states.length, { timeout: 5_000 }).toBe(1);
    expect(hostsOf(states[0]!)).toContain('changed.example.com');
    // The change was read alone (a named read of one file), and accepted once.
    expect(reads().slice(1).every((l) => l['whole'] === false && (l['files'] as number) <= 1)).toBe(true);
    expect(logs.filter((l) => l['msg'] === 'config file accepted')).toHaveLength(21);
    // A file removed is noticed by a named read too.
    unlinkSync(join(dir, 'vs-3.yaml'));
    await expect.poll(() => states.length, { timeout: 5_000 }).toBe(2);
    expect(hostsOf(states[1]!)).not.toContain('h3.example.com');
  });

  it('takes a ConfigMap-style update (a symlinked data directory swapped) at once, not at the next resync', async () => {
    // Kubernetes mounts a ConfigMap as name -> ..data/name, ..data -> ..<timestamp>; an update swaps ..data.
    const dir = tempDir();
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'vs.yaml'), vs('cm', 'one.example.com'));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'vs.yaml'), join(dir, 'vs.yaml'));
    const source = new FileConfigSource({ dir, logger: pino({ level: 'silent' }), resyncMs: 600_000 });
    sources.push(source);
    const states: ConfigState[] = [];
    expect(hostsOf(await source.start((st) => states.push(st)))).toEqual(['one.example.com']);
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'vs.yaml'), vs('cm', 'two.example.com'));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await expect.poll(() => (states.at(-1) ? hostsOf(states.at(-1)!) : []), { timeout: 5_000 }).toEqual(['two.example.com']);
  });

  /** An error as Node's fs raises it (`CODE: text, open 'path'`). */
  const osError = (code: string, errno: number, text: string, path: string) =>
    Object.assign(new Error(`${code}: ${text}, open '${path}'`), { code, errno, syscall: 'open', path });
  const UNREADABLE = 'WEFT_PILOT_CONFIG_UNREADABLE';

  it('rejects a file that exists but cannot be read, once per error, keeping its last good version', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), vs('a', 'one'));
    writeFileSync(join(dir, 'b.yaml'), vs('b', 'two'));
    writeFileSync(join(dir, 'c.yaml'), vs('c', 'three'));
    // Tests run as root, where chmod 000 does not stop a read: the reader fails on demand instead.
    const failing = new Map<string, Error>();
    const reader = (path: string, encoding: 'utf8') => {
      const e = failing.get(path);
      return e ? Promise.reject(e) : readFile(path, encoding);
    };
    failing.set(join(dir, 'c.yaml'), osError('EACCES', -13, 'permission denied', join(dir, 'c.yaml')));
    const { source, states, logs, reads, started } = start(dir, 100, { readFile: reader });
    const first = await started;
    const rejections = (file: string) => logs.filter((l) => l['msg'] === 'config file rejected' && l['file'] === file);
    // Unreadable from the start: reported with the OS error (no absolute path), nothing of it in force.
    expect(hostsOf(first)).toEqual(['one', 'two']);
    const eacces = `cannot read the file: EACCES: permission denied (${UNREADABLE})`;
    expect(first.rejected).toEqual([{ source: 'c.yaml', at: expect.any(String), errors: [{ path: '', source: 'c.yaml', message: eacces }] }]);
    expect(rejections('c.yaml')).toEqual([expect.objectContaining({ code: UNREADABLE, kept: 'nothing', errors: [`c.yaml ${eacces}`] })]);
    // A live file rewritten and unreadable: its last good version stays in force, and the config does not move.
    failing.set(join(dir, 'a.yaml'), osError('EACCES', -13, 'permission denied', join(dir, 'a.yaml')));
    writeFileSync(join(dir, 'a.yaml'), vs('a', 'four'));
    await expect.poll(() => rejectedOf(states.at(-1)), { timeout: 5000, interval: 10 }).toEqual([['a.yaml', ['']], ['c.yaml', ['']]]);
    expect(hostsOf(states.at(-1)!)).toEqual(['one', 'two']);
    expect(states.at(-1)!.revision).toBe(first.revision);
    expect(rejections('a.yaml')).toEqual([expect.objectContaining({ code: UNREADABLE, kept: 'last good version' })]);
    // Re-reads that fail the same way notify and log nothing, and keep the time the error was first seen.
    const notified = states.length;
    const at = source.current().rejected.map((r) => r.at);
    const seen = reads.count;
    await expect.poll(() => reads.count, { timeout: 5000, interval: 10 }).toBeGreaterThanOrEqual(seen + 5);
    expect(states).toHaveLength(notified);
    expect(rejections('a.yaml')).toHaveLength(1);
    expect(rejections('c.yaml')).toHaveLength(1);
    expect(source.current().rejected.map((r) => r.at)).toEqual(at);
    // Another error is news.
    failing.set(join(dir, 'a.yaml'), osError('EIO', -5, 'i/o error', join(dir, 'a.yaml')));
    await expect.poll(() => rejections('a.yaml').length, { timeout: 5000, interval: 10 }).toBe(2);
    expect(states.at(-1)!.rejected[0]!.errors[0]!.message).toBe(`cannot read the file: EIO: i/o error (${UNREADABLE})`);
    // Readable again: the rejections end and the files' current texts come into force.
    failing.clear();
    await expect.poll(() => states.at(-1) && hostsOf(states.at(-1)!), { timeout: 5000, interval: 10 }).toEqual(['four', 'three', 'two']);
    expect(states.at(-1)!.rejected).toEqual([]);
    expect(states.at(-1)!.revision).toBeGreaterThan(first.revision);
  });

  it('rejects a config file that is a symlink loop (unreadable even for root) and takes it back when fixed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), vs('a', 'one'));
    const { states, started } = start(dir, 60_000);
    const first = await started;
    // a.yaml -> a.yaml: the entry exists, but stat and open fail with ELOOP.
    symlinkSync('a.yaml', join(dir, 'a.tmp'));
    renameSync(join(dir, 'a.tmp'), join(dir, 'a.yaml'));
    await expect.poll(() => rejectedOf(states.at(-1)), { timeout: 5000, interval: 10 }).toEqual([['a.yaml', ['']]]);
    expect(states.at(-1)!.rejected[0]!.errors[0]!.message).toBe(`cannot read the file: ELOOP: too many symbolic links encountered (${UNREADABLE})`);
    expect(hostsOf(states.at(-1)!)).toEqual(['one']);
    expect(states.at(-1)!.revision).toBe(first.revision);
    writeFileSync(join(dir, 'a.tmp'), vs('a', 'two'));
    renameSync(join(dir, 'a.tmp'), join(dir, 'a.yaml'));
    await expect.poll(() => states.at(-1) && hostsOf(states.at(-1)!), { timeout: 5000, interval: 10 }).toEqual(['two']);
    expect(states.at(-1)!.rejected).toEqual([]);
  });

  it('reads a file rewritten faster than settleMs within maxSettleMs of the first event, while the writes go on', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'vs.yaml'), vs('a', 'h0'));
    const { states, started } = start(dir, 60_000, { settleMs: 50, maxSettleMs: 150 });
    await started;
    // Rewritten (atomically) every 10 ms, 30 times: each event would restart a 50 ms settle timer.
    const writes = 30;
    let seenAfter: number | undefined;
    for (let i = 1; i <= writes; i++) {
      writeFileSync(join(dir, 'vs.tmp'), vs('a', `h${i}`));
      renameSync(join(dir, 'vs.tmp'), join(dir, 'vs.yaml'));
      await new Promise((r) => setTimeout(r, 10));
      if (seenAfter === undefined && states.length > 0) seenAfter = i;
    }
    // The config changed while writes were still coming (the unbounded timer reads only after the last one).
    expect(seenAfter).toBeDefined();
    expect(seenAfter).toBeLessThan(writes);
    expect(hostsOf(states[0]!)).toEqual([expect.stringMatching(/^h([1-9]|[12]\d)$/)]);
    // After the writes stop, the last one is read.
    await expect.poll(() => hostsOf(states.at(-1)!), { timeout: 5000, interval: 10 }).toEqual([`h${writes}`]);
  });
});
