// Gateway: servers need hosts, a port with a known protocol, and TLS settings consistent with that protocol.
import type { Gateway, Server, ServerTLSSettings } from '../types/gateway.js';
import { type Ctx, eachAt } from './context.js';
import { checkNamespacedHost } from './hosts.js';
import { isIP } from './ip.js';
import { checkPortNumber, isHttpProtocol, isTlsProtocol, parseProtocol, PROTOCOLS } from './ports.js';
import { UNIX_PREFIX } from './unix-address.js';

export function validateGateway(gw: Gateway, ctx: Ctx): void {
  if ((gw.servers?.length ?? 0) === 0) ctx.at('servers').error('a gateway needs at least one server');
  eachAt(gw.servers, ctx.at('servers'), checkServer);
  // Port names name the listeners' route configurations, so two servers cannot share one.
  const seen = new Map<string, number>();
  eachAt(gw.servers, ctx.at('servers'), (s, at, i) => {
    const name = s.port?.name;
    if (name === undefined || name === '') return;
    const first = seen.get(name);
    if (first !== undefined) at.at('port', 'name').error(`port name ${JSON.stringify(name)} is already used by servers[${first}]`);
    else seen.set(name, i);
  });
}

function checkServer(server: Server, ctx: Ctx): void {
  if ((server.hosts?.length ?? 0) === 0) ctx.at('hosts').error('a server needs at least one host');
  eachAt(server.hosts, ctx.at('hosts'), (h, at) => checkNamespacedHost(h, true, at));
  const portOk = checkServerPort(server, ctx.at('port'));
  checkServerBind(server.bind, ctx.at('bind'));
  if (server.tls !== undefined) checkServerTLS(server.tls, ctx.at('tls'));
  const protocol = parseProtocol(server.port?.protocol ?? '');
  if (!portOk || protocol === undefined) return;
  if (isTlsProtocol(protocol) && server.tls === undefined) {
    ctx.at('tls').error(`a ${protocol} server needs tls settings`);
  } else if (!isTlsProtocol(protocol) && server.tls !== undefined) {
    const tls = server.tls;
    // Plain HTTP servers may carry tls only to request an HTTPS redirect.
    const redirectOnly =
      (tls.mode === undefined || tls.mode === 'PASSTHROUGH' || tls.mode === 'AUTO_PASSTHROUGH') &&
      !tls.caCertificates && !tls.privateKey && !tls.serverCertificate;
    if (!isHttpProtocol(protocol)) ctx.at('tls').error(`a ${protocol} server cannot have tls settings`);
    else if (!redirectOnly) ctx.at('tls').error('a plain-text HTTP server can only use tls.httpsRedirect');
  }
}

function checkServerPort(server: Server, ctx: Ctx): boolean {
  const port = server.port;
  if (port === undefined) {
    ctx.error('port is required');
    return false;
  }
  const before = ctx.errorCount;
  if (parseProtocol(port.protocol ?? '') === undefined) {
    ctx.at('protocol').error(`invalid protocol ${JSON.stringify(port.protocol ?? '')}; expected one of ${PROTOCOLS.join(', ')}`);
  }
  if (port.number !== undefined && port.number > 0) checkPortNumber(port.number, ctx.at('number'));
  if ((port.name ?? '') === '') ctx.at('name').error('port name is required');
  return ctx.errorCount === before;
}

/**
 * Server.bind replaces 0.0.0.0 in the listener's socket address, and Envoy refuses a socket address that is
 * not an IP, so like Istio's validateServerBind only an IPv4 or IPv6 address is accepted. Istio also takes
 * `unix://<path>` (with port 0), but Weft's gateway listeners bind IP sockets only, so that is refused
 * rather than accepted and never served.
 */
function checkServerBind(bind: string | undefined, ctx: Ctx): void {
  if (bind === undefined || bind === '') return;
  if (bind.startsWith(UNIX_PREFIX)) {
    ctx.error(`unix domain socket bind ${JSON.stringify(bind)} is not supported: Weft's gateway listeners bind IP addresses only; use an IP address or leave bind unset`);
  } else if (!isIP(bind)) {
    ctx.error(`${JSON.stringify(bind)} is not a valid IP address; bind must be an IPv4 or IPv6 address (or unset for all addresses)`);
  }
}

/** SIMPLE/MUTUAL need files unless an SDS credentialName supplies them; ISTIO_MUTUAL uses Istio's own certs. */
function checkServerTLS(tls: ServerTLSSettings, ctx: Ctx): void {
  const mode = tls.mode ?? 'PASSTHROUGH';
  if (mode === 'ISTIO_MUTUAL') {
    for (const f of ['serverCertificate', 'privateKey', 'caCertificates'] as const) {
      if (tls[f]) ctx.at(f).error(`ISTIO_MUTUAL uses Istio's certificates; ${f} must not be set`);
    }
    return;
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && tls.credentialName) return;
  if (mode === 'SIMPLE' || mode === 'MUTUAL') {
    if (!tls.serverCertificate) ctx.at('serverCertificate').error(`${mode} TLS requires serverCertificate (or credentialName)`);
    if (!tls.privateKey) ctx.at('privateKey').error(`${mode} TLS requires privateKey (or credentialName)`);
  }
  if (mode === 'MUTUAL' && !tls.caCertificates) ctx.at('caCertificates').error('MUTUAL TLS requires caCertificates (or credentialName)');
}
