// A pod's directories under the platform's state dir (pure): `pods/<pod key>/proxy/` holds the
// sidecar's bootstrap (--configPath) and `pods/<pod key>/istio-proxy/` is the sidecar's working
// directory, where pilot-agent makes its SDS socket `./var/run/secrets/workload-spiffe-uds/socket`
// (Istio's WorkloadIdentitySocketPath, relative to the working directory: pilot-agent's
// src/sds/sds-socket.ts). A Unix socket path has at most 107 bytes, so the pod key has a fixed
// length (the hash the pod's network namespace is named by): how long the socket path is depends on
// --state-dir alone, and `up` refuses a state dir that is too deep before it starts anything.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DEFAULT_STATE_DIR, statePaths } from './platform-state.js';

/** pilot-agent's SDS socket, relative to its working directory. */
export const SDS_SOCKET_RELATIVE = './var/run/secrets/workload-spiffe-uds/socket';

/** sockaddr_un.sun_path is 108 bytes on Linux, with the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** `weft-<10 hex digits of sha256(ns/name)>`: the pod's network namespace and its state directory. */
export function podKey(namespace: string, name: string): string {
  return `weft-${createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 10)}`;
}

export interface PodDirs {
  /** The pod's state directory. */
  readonly root: string;
  /** The sidecar's --configPath (its bootstrap). */
  readonly proxyConfig: string;
  /** The sidecar's working directory (owned by the proxy's user): its SDS socket is made below it. */
  readonly sidecarWork: string;
}

export function podDirs(podsDir: string, namespace: string, name: string): PodDirs {
  const root = join(podsDir, podKey(namespace, name));
  return { root, proxyConfig: join(root, 'proxy'), sidecarWork: join(root, 'istio-proxy') };
}

/** The SDS socket of a sidecar started in `workDir`, and its length in bytes. */
export function sdsSocket(workDir: string): { readonly path: string; readonly bytes: number } {
  const path = resolve(workDir, SDS_SOCKET_RELATIVE);
  return { path, bytes: Buffer.byteLength(path) };
}

/** Why a sidecar started in `workDir` could not serve SDS (its socket path is too long); undefined when it can. */
export function sdsSocketProblem(workDir: string): string | undefined {
  const { path, bytes } = sdsSocket(workDir);
  if (bytes <= MAX_SOCKET_PATH_BYTES) return undefined;
  return `the sidecar's SDS socket ${path} would be ${bytes} bytes, more than the ${MAX_SOCKET_PATH_BYTES} a Unix socket path may have`;
}

/** For `up`: undefined when every pod's SDS socket fits below `stateDir`, else what to do about it. */
export function stateDirProblem(stateDir: string): string | undefined {
  const absolute = resolve(stateDir);
  const work = podDirs(statePaths(absolute).pods, '', '').sidecarWork;
  const problem = sdsSocketProblem(work);
  if (!problem) return undefined;
  const longest = Buffer.byteLength(absolute) - (sdsSocket(work).bytes - MAX_SOCKET_PATH_BYTES);
  return `--state-dir ${stateDir} is too deep: ${problem}; use a state dir of at most ${longest} bytes (the default ${DEFAULT_STATE_DIR} fits)`;
}
