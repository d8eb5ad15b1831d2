// Istio's protocol selection: the `protocol` field, else the port name's prefix (`http-foo` → HTTP).
import { parseProtocol, type Protocol as ConfigProtocol } from '@weft/api';

/** Istio's protocol names; `Unsupported` (no usable name) is treated as TCP in 1.1–1.2. */
export type Protocol = ConfigProtocol | 'UNSUPPORTED';

/**
 * Protocol of a port: an explicit protocol wins; otherwise the name's prefix before the first `-`
 * (case-insensitive), with `grpc-web` matched first. Unknown names are UNSUPPORTED.
 */
export function portProtocol(name: string | undefined, explicit?: string): Protocol {
  if (explicit) return parseProtocol(explicit) ?? 'UNSUPPORTED';
  if (!name) return 'UNSUPPORTED';
  const lower = name.toLowerCase();
  if (lower === 'grpc-web' || lower.startsWith('grpc-web-')) return 'GRPC-WEB';
  const prefix = lower.split('-')[0] ?? '';
  return parseProtocol(prefix) ?? 'UNSUPPORTED';
}

/** HTTP family: HTTP, HTTP2, GRPC, GRPC-Web (served by http_connection_manager). */
export function isHttp(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB';
}

/** Protocols that need HTTP/2 upstream. */
export function isHttp2(p: Protocol): boolean {
  return p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB';
}

/** Everything proxied at L4 (tcp_proxy), including TLS/HTTPS passthrough and UNSUPPORTED. */
export function isTcp(p: Protocol): boolean {
  return !isHttp(p) && p !== 'UDP';
}
