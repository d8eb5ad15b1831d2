// Where the SDS server listens. Istio's agent serves SDS on the Unix socket
// `./var/run/secrets/workload-spiffe-uds/socket` (security.WorkloadIdentitySocketPath), relative to
// its working directory — `/` in a container — and its bootstrap's `sds-grpc` cluster names the same
// relative path, which Envoy (started in the same directory) resolves the same way. Istio has no flag
// or variable for the path (WORKLOAD_IDENTITY_SOCKET_FILE only renames the file, to point Envoy at
// an external SDS server such as SPIRE's); neither has Weft.
import { lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import type { WeftError } from '@weft/base';
import { AgentErrors } from '../errors.js';

export const WORKLOAD_IDENTITY_SOCKET_PATH = './var/run/secrets/workload-spiffe-uds/socket';

/** sockaddr_un.sun_path is 108 bytes on Linux, with the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** The socket's absolute path for an agent started in `cwd`, or the error when it is too long. */
export function sdsSocketPath(cwd: string, relative: string = WORKLOAD_IDENTITY_SOCKET_PATH): { readonly ok: true; readonly path: string } | { readonly ok: false; readonly error: WeftError } {
  const path = resolve(cwd, relative);
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) return { ok: false, error: AgentErrors.SDS_SOCKET_PATH_TOO_LONG([path, bytes, relative]) };
  return { ok: true, path };
}

function connects(path: string): Promise<boolean> {
  return new Promise((done) => {
    const s = net.connect({ path });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

/**
 * Makes the socket's directory and clears a stale socket left by an agent that died (Istio removes
 * it unconditionally; Weft keeps one that something still listens on, so that two agents sharing a
 * filesystem cannot take the socket from each other). Throws with the reason.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
  if (await connects(path)) throw new Error(`another process is serving on ${path}`);
  unlinkSync(path);
}
