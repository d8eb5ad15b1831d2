// How weft-proxy is run (pure): which file (--binaryPath, PATH, node_modules/.bin), with which
// interpreter, and Envoy's command line limited to the flags the proxy's --help advertises.
import { delimiter, join } from 'node:path';
import type { AgentConfig } from './agent-config.js';

export interface ProxyCommand {
  /** The executable spawned: the node binary for a .js proxy, else the proxy itself. */
  readonly file: string;
  /** Arguments before Envoy's flags (the script path for a .js proxy). */
  readonly prefix: readonly string[];
}

const SCRIPT = /\.(c|m)?js$/;

/**
 * Node flags for a .js proxy. V8's young generation capped at 4 MB semi-spaces (default 16 MB):
 * weft-proxy allocates short-lived objects per request, and at 1,000 rps its RSS is about 93 MB
 * instead of about 130 MB for the same CPU per request (2 MB costs CPU; docs/performance.md).
 */
export const PROXY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** A .js path runs with the current node (and PROXY_NODE_FLAGS); anything else is executed directly. */
export function proxyCommand(path: string, nodePath: string): ProxyCommand {
  return SCRIPT.test(path) ? { file: nodePath, prefix: [...PROXY_NODE_FLAGS, path] } : { file: path, prefix: [] };
}

/**
 * Where to look for `weft-proxy` when --binaryPath is not given: every PATH entry, then the
 * node_modules/.bin folders next to pilot-agent (its own package and the workspace root).
 */
export function binaryCandidates(pathEnv: string | undefined, binDirs: readonly string[]): string[] {
  const dirs = [...(pathEnv ?? '').split(delimiter).filter(Boolean), ...binDirs];
  return [...new Set(dirs.map((d) => join(d, 'weft-proxy')))];
}

/** Envoy flags pilot-agent would pass; each is passed only if the proxy advertises it. */
const ENVOY_FLAGS = ['config-path', 'restart-epoch', 'drain-time-s', 'parent-shutdown-time-s', 'service-cluster', 'service-node', 'log-level', 'concurrency'] as const;
export type EnvoyFlag = (typeof ENVOY_FLAGS)[number];

/** The long flags a `--help` text lists (`--drain-time-s int`, `-c, --config-path string`). */
export function advertisedFlags(help: string): Set<string> {
  const found = new Set<string>();
  for (const m of help.matchAll(/(?:^|\s)--([a-z][a-z0-9-]*)/gm)) found.add(m[1] as string);
  return found;
}

/** Flags every weft-proxy has had, for when --help cannot be read. */
export const BASELINE_FLAGS: ReadonlySet<string> = new Set(['config-path', 'drain-time-s', 'service-cluster', 'service-node', 'log-level', 'concurrency']);

export type LaunchInputs = Pick<AgentConfig, 'node' | 'drainDurationMs' | 'parentShutdownDurationMs' | 'proxyLogLevel' | 'concurrency'>;

/**
 * Istio's launch line: `-c <bootstrap> --restart-epoch N --drain-time-s D --parent-shutdown-time-s P
 * --service-cluster C --service-node ID -l LEVEL [--concurrency N]`, seconds rounded up.
 */
export function proxyArgs(config: LaunchInputs, bootstrapPath: string, epoch: number, accepted: ReadonlySet<string>): { args: string[]; omitted: EnvoyFlag[] } {
  const values: Record<EnvoyFlag, string | undefined> = {
    'config-path': bootstrapPath,
    'restart-epoch': String(epoch),
    'drain-time-s': String(Math.ceil(config.drainDurationMs / 1000)),
    'parent-shutdown-time-s': String(Math.ceil(config.parentShutdownDurationMs / 1000)),
    'service-cluster': config.node.cluster,
    'service-node': config.node.id,
    'log-level': config.proxyLogLevel,
    concurrency: config.concurrency > 0 ? String(config.concurrency) : undefined,
  };
  const args: string[] = [];
  const omitted: EnvoyFlag[] = [];
  for (const name of ENVOY_FLAGS) {
    const v = values[name];
    if (v === undefined) continue;
    // The bootstrap is passed whatever the help says: the proxy cannot run without it.
    if (!accepted.has(name) && name !== 'config-path') {
      omitted.push(name);
      continue;
    }
    // Envoy's short forms for the two flags everyone knows; the rest are long flags.
    const flagText = name === 'config-path' ? '-c' : name === 'log-level' ? '-l' : `--${name}`;
    args.push(flagText, v);
  }
  return { args, omitted };
}
