// The original destination of a captured connection (SO_ORIGINAL_DST after iptables REDIRECT), read by
// the small Node-API addon in native/origdst.c (built by `npm ci`). Without the addon, or for a
// connection that was not redirected, the destination is the socket's own local address.
import { createRequire } from 'node:module';
import type net from 'node:net';

export interface Destination {
  readonly address: string;
  readonly port: number;
}

interface Addon {
  getOriginalDst(fd: number): { address: string; port: number; family: number };
}

let addon: Addon | null | undefined;

function load(): Addon | null {
  if (addon === undefined) {
    try {
      // src/listener and dist/listener are both two levels below the package, where build/ is.
      addon = createRequire(import.meta.url)('../../build/Release/origdst.node') as Addon;
    } catch {
      addon = null;
    }
  }
  return addon;
}

export function originalDstAvailable(): boolean {
  return load() !== null;
}

function unmapped(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/**
 * Where the client meant to connect. `undefined` means "not redirected" (use the local address):
 * the addon is missing, the fd is unavailable, or the kernel has no NAT entry for the connection.
 */
export function originalDestination(socket: net.Socket): Destination | undefined {
  const a = load();
  // The fd of an accepted TCP socket (Node keeps it on the internal handle; Linux only).
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!a || fd === undefined || fd < 0) return undefined;
  try {
    const d = a.getOriginalDst(fd);
    const address = unmapped(d.address);
    if (address === unmapped(socket.localAddress ?? '') && d.port === socket.localPort) return undefined;
    return { address, port: d.port };
  } catch {
    return undefined;
  }
}

// Kept as a property on the socket itself, not in a WeakMap: HTTP/2 hands requests a Proxy of the
// socket, which forwards property reads (so this is found) but is not the same object as a map key.
const ORIGINAL_DESTINATION = Symbol('weft.originalDestination');

type Tagged = net.Socket & { [ORIGINAL_DESTINATION]?: Destination };

/** Records the original destination of a socket handed from a use_original_dst listener. */
export function recordDestination(socket: net.Socket, d: Destination): void {
  (socket as Tagged)[ORIGINAL_DESTINATION] = d;
}

/** The destination filter chain matching should use: the original one when the socket was handed off. */
export function destinationOf(socket: net.Socket): Destination {
  return (socket as Tagged)[ORIGINAL_DESTINATION] ?? { address: unmapped(socket.localAddress ?? '0.0.0.0'), port: socket.localPort ?? 0 };
}
