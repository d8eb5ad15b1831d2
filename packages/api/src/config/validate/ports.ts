// Port numbers, port names and protocol names as Istio 1.3's pkg/config/protocol understands them.
import type { Ctx } from './context.js';
import { isDNS1123Label } from './hosts.js';

/** Protocols Istio parses (case-insensitively) from port protocols and port-name prefixes. */
export const PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'MONGO', 'MYSQL', 'REDIS', 'TCP', 'TLS', 'UDP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export function parseProtocol(name: string): Protocol | undefined {
  const upper = name.toUpperCase();
  return (PROTOCOLS as readonly string[]).includes(upper) ? (upper as Protocol) : undefined;
}

/** HTTP-family protocols get HTTP routes (VirtualService `http`). */
export function isHttpProtocol(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB';
}

/** Protocols carried in TLS (routed by SNI or terminated at a gateway). */
export function isTlsProtocol(p: Protocol): boolean {
  return p === 'HTTPS' || p === 'TLS';
}

export function checkPortNumber(port: number | undefined, ctx: Ctx): void {
  if (port === undefined) return;
  if (port < 1 || port > 65535) ctx.error(`port number ${port} must be in the range 1..65535`);
}

export function checkProtocol(protocol: string | undefined, ctx: Ctx): void {
  if (protocol === undefined || parseProtocol(protocol) === undefined) {
    ctx.error(`unsupported protocol ${JSON.stringify(protocol ?? '')}; expected one of ${PROTOCOLS.join(', ')}`);
  }
}

export function checkPortName(name: string | undefined, ctx: Ctx): void {
  if (name === undefined || !isDNS1123Label(name)) ctx.error(`invalid port name ${JSON.stringify(name ?? '')}: must be a DNS-1123 label`);
}
