// The record of what `weftctl local up` created on the host, written before each thing is created
// (so a crash can never leave something unrecorded) and read by `down`, by the next `up` after a
// crash, and by the cleanup that ends every run.
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_STATE_DIR = '/run/weft/local';

export interface PlatformStateData {
  readonly version: 1;
  /** The `up` process in the host network namespace, and the node process inside the node namespace. */
  outerPid: number;
  innerPid?: number;
  startedAt: string;
  /** Every network namespace created (the node's first), in creation order. */
  netns: string[];
  /** Every /etc/netns/<name> directory created (per-pod hosts files). */
  hostsDirs: string[];
  /** True when /etc/netns itself did not exist before this run (it is removed again if empty). */
  createdEtcNetns?: boolean;
  /** Host addresses the ingress gateway is published on, e.g. `127.0.0.1:8080 -> 80`. */
  published: string[];
}

export function statePaths(stateDir: string): { file: string; socket: string; pilotConfig: string; pilotMesh: string; pods: string; logs: string } {
  return {
    file: join(stateDir, 'state.json'),
    socket: join(stateDir, 'control.sock'),
    pilotConfig: join(stateDir, 'pilot-config'),
    // Beside the config directory, not in it: Pilot watches that one for Istio config only.
    pilotMesh: join(stateDir, 'pilot-mesh.yaml'),
    pods: join(stateDir, 'pods'),
    logs: join(stateDir, 'logs'),
  };
}

export function readState(stateDir: string): PlatformStateData | undefined {
  try {
    const data = JSON.parse(readFileSync(statePaths(stateDir).file, 'utf8')) as PlatformStateData;
    return data.version === 1 ? data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state atomically (temp file + rename), synchronously: callers record before they create. */
export function writeState(stateDir: string, data: PlatformStateData): void {
  // 0711: pod users (the proxy's uid 1337) must reach their own config dir below it, but cannot list it.
  mkdirSync(stateDir, { recursive: true, mode: 0o711 });
  chmodSync(stateDir, 0o711);
  const file = statePaths(stateDir).file;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** A live handle: every `record*` call persists before it returns. */
export class PlatformState {
  constructor(
    readonly dir: string,
    private data: PlatformStateData,
  ) {
    writeState(dir, data);
  }

  static create(dir: string, outerPid: number): PlatformState {
    return new PlatformState(dir, { version: 1, outerPid, startedAt: new Date().toISOString(), netns: [], hostsDirs: [], published: [] });
  }

  /** Re-opens the state another process created (the node process of the same run). */
  static open(dir: string): PlatformState | undefined {
    const data = readState(dir);
    return data ? new PlatformState(dir, data) : undefined;
  }

  get value(): Readonly<PlatformStateData> {
    // Another process of the same run may have recorded something since.
    this.data = readState(this.dir) ?? this.data;
    return this.data;
  }

  update(fn: (d: PlatformStateData) => void): void {
    const d = { ...this.value, netns: [...this.value.netns], hostsDirs: [...this.value.hostsDirs], published: [...this.value.published] };
    fn(d);
    this.data = d;
    writeState(this.dir, d);
  }

  recordNetns(name: string): void {
    this.update((d) => {
      if (!d.netns.includes(name)) d.netns.push(name);
    });
  }

  recordHostsDir(dir: string): void {
    this.update((d) => {
      if (!d.hostsDirs.includes(dir)) d.hostsDirs.push(dir);
    });
  }
}
