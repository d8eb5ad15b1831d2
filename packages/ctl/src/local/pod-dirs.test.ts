import { describe, expect, it } from 'vitest';
import { MAX_SOCKET_PATH_BYTES, podDirs, podKey, sdsSocket, stateDirProblem } from './pod-dirs.js';
import { DEFAULT_STATE_DIR, statePaths } from './platform-state.js';

describe('pod dirs', () => {
  it('names a pod directory by a fixed-length key, whatever the namespace and pod name', () => {
    expect(podKey('weather', 'forecast-v1-abcdef12-a1b2c')).toMatch(/^weft-[0-9a-f]{10}$/);
    expect(podKey('a'.repeat(63), 'b'.repeat(253))).toHaveLength(podKey('', '').length);
    expect(podKey('weather', 'forecast-v1-abcdef12-a1b2c')).not.toBe(podKey('weather', 'forecast-v1-abcdef12-a1b2d'));
    const dirs = podDirs('/run/weft/local/pods', 'weather', 'forecast-v1-abcdef12-a1b2c');
    const key = podKey('weather', 'forecast-v1-abcdef12-a1b2c');
    expect(dirs).toEqual({ root: `/run/weft/local/pods/${key}`, proxyConfig: `/run/weft/local/pods/${key}/proxy`, sidecarWork: `/run/weft/local/pods/${key}/istio-proxy` });
  });

  it('keeps the SDS socket under the Unix limit with the default state dir', () => {
    const { path, bytes } = sdsSocket(podDirs(statePaths(DEFAULT_STATE_DIR).pods, 'a'.repeat(63), 'b'.repeat(253)).sidecarWork);
    expect(path).toMatch(/^\/run\/weft\/local\/pods\/weft-[0-9a-f]{10}\/istio-proxy\/var\/run\/secrets\/workload-spiffe-uds\/socket$/);
    expect(bytes).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
    expect(stateDirProblem(DEFAULT_STATE_DIR)).toBeUndefined();
  });

  it('refuses a state dir too deep for the socket, saying how long one may be', () => {
    // The socket is the state dir plus 76 bytes: a state dir of 31 bytes fits, one of 32 does not.
    expect(stateDirProblem(`/${'s'.repeat(30)}`)).toBeUndefined();
    const deep = `/${'s'.repeat(31)}`;
    expect(stateDirProblem(deep)).toBe(
      `--state-dir ${deep} is too deep: the sidecar's SDS socket ${deep}/pods/weft-${podKey('', '').slice(5)}/istio-proxy/var/run/secrets/workload-spiffe-uds/socket would be 108 bytes, more than the 107 a Unix socket path may have; use a state dir of at most 31 bytes (the default /run/weft/local fits)`,
    );
  });
});
