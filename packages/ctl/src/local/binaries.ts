// Finds the Weft binaries the local platform runs (pilot-discovery, pilot-agent, weft-proxy) the way
// `npx` would: node_modules/.bin above this package, then PATH. They are run as processes, never
// imported (no component imports another).
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Binaries } from './pod-plan.js';

function findBin(name: string, from: string, path: string | undefined): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '.bin', name);
    try {
      return realpathSync(candidate);
    } catch {
      // keep looking upwards
    }
    if (dirname(dir) === dir) break;
  }
  for (const dir of (path ?? '').split(':').filter(Boolean)) {
    try {
      const candidate = join(dir, name);
      accessSync(candidate, constants.X_OK);
      return realpathSync(candidate);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The binaries, or the names that are missing or not built (their dist/main.js is absent). */
export function findBinaries(path: string | undefined): { binaries?: Binaries; problems: string[] } {
  const here = dirname(fileURLToPath(import.meta.url));
  const problems: string[] = [];
  const found: Record<string, string> = {};
  for (const name of ['pilot-discovery', 'pilot-agent', 'weft-proxy']) {
    const bin = findBin(name, here, path);
    if (!bin) {
      problems.push(`${name} not found (run npm ci in the repository)`);
      continue;
    }
    // A workspace bin shim runs ../dist/main.js; without it the component is not built.
    if (bin.endsWith('.js')) {
      try {
        statSync(join(dirname(bin), '..', 'dist', 'main.js'));
      } catch {
        problems.push(`${name} is not built (run npm run build)`);
      }
    }
    found[name] = bin;
  }
  if (problems.length > 0) return { problems };
  return { binaries: { node: process.execPath, pilotDiscovery: found['pilot-discovery']!, pilotAgent: found['pilot-agent']!, weftProxy: found['weft-proxy']! }, problems };
}

/**
 * True when an unprivileged user can read `path`: every directory above it searchable by others and
 * the path itself readable by others. When the checkout is not (e.g. under /root), pod processes get
 * the dac_read_search capability to read it.
 */
export function worldReadable(path: string): boolean {
  try {
    let p = realpathSync(path);
    const self = statSync(p);
    if ((self.mode & 0o004) === 0 || (self.isDirectory() && (self.mode & 0o001) === 0)) return false;
    while (dirname(p) !== p) {
      p = dirname(p);
      if ((statSync(p).mode & 0o001) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}
