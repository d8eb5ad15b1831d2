import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigState } from './config-source.js';
import { FileConfigSource } from './file-source.js';

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

  function start(dir: string, resyncMs?: number) {
    const states: ConfigState[] = [];
    const source = new FileConfigSource({ dir, logger: pino({ level: 'silent' }), ...(resyncMs ? { resyncMs } : {}) });
    sources.push(source);
    return { source, states, started: source.start((s) => states.push(s)) };
  }

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
});
