// Where the Go peers of the istiod story are: the pins in scripts/peers/versions.env and the cache that
// scripts/peers/build-go-peers.sh builds them into (${WEFT_PEERS_CACHE:-/var/cache/weft-peers}).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/workspace.js';

export const VERSIONS_FILE = join(REPO_ROOT, 'scripts', 'peers', 'versions.env');
export const BUILD_SCRIPT = join(REPO_ROOT, 'scripts', 'peers', 'build-go-peers.sh');

export interface Peers {
  readonly cache: string;
  readonly istioVersion: string;
  readonly kubernetesVersion: string;
  readonly etcdVersion: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly pilotDiscovery: string;
  /** The istio module's source in the peers' module cache (its CRDs are read from there at run time). */
  readonly istioModule: string;
}

/** KEY=VALUE lines; `#` comments and blank lines skipped. */
export function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

function pin(pins: Map<string, string>, key: string): string {
  const v = pins.get(key);
  if (!v) throw new Error(`${VERSIONS_FILE}: ${key} is not set`);
  return v;
}

/** The peers for the pins; `missing` lists every binary not built yet (the story refuses to start then). */
export function locatePeers(env: Readonly<Record<string, string | undefined>> = process.env): { peers: Peers; missing: string[] } {
  const pins = parseEnvFile(readFileSync(VERSIONS_FILE, 'utf8'));
  const cache = env['WEFT_PEERS_CACHE'] || '/var/cache/weft-peers';
  const istioVersion = pin(pins, 'ISTIO_VERSION');
  const kubernetesVersion = pin(pins, 'KUBERNETES_VERSION');
  const etcdVersion = pin(pins, 'ETCD_VERSION');
  const peers: Peers = {
    cache,
    istioVersion,
    kubernetesVersion,
    etcdVersion,
    etcd: join(cache, `etcd-${etcdVersion}`, 'bin', 'etcd'),
    kubeApiserver: join(cache, `kube-apiserver-${kubernetesVersion}`, 'bin', 'kube-apiserver'),
    pilotDiscovery: join(cache, `istiod-${istioVersion}`, 'bin', 'pilot-discovery'),
    istioModule: join(cache, 'gomodcache', 'istio.io', `istio@${istioVersion}`),
  };
  const missing = [peers.etcd, peers.kubeApiserver, peers.pilotDiscovery, peers.istioModule].filter((p) => !existsSync(p));
  return { peers, missing };
}

/** Istio's CRDs as that version ships them (the base chart's generated file). */
export function istioCrdFile(peers: Peers): string {
  const candidates = [join(peers.istioModule, 'manifests', 'charts', 'base', 'files', 'crd-all.gen.yaml'), join(peers.istioModule, 'manifests', 'charts', 'base', 'crds', 'crd-all.gen.yaml')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no Istio CRD file in ${peers.istioModule} (looked for ${candidates.join(', ')})`);
  return found;
}
