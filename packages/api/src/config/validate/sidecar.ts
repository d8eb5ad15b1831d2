// Sidecar: ingress listeners need a port and a loopback/UDS default endpoint; egress listeners need
// namespace-scoped hosts, and at most one port-less catch-all listener, last.
import type { IstioEgressListener, IstioIngressListener, Sidecar } from '../types/sidecar.js';
import type { Port } from '../types/port.js';
import { type Ctx, eachAt } from './context.js';
import { checkNamespacedHost } from './hosts.js';
import { checkIPv4Address } from './ip.js';
import { checkPortName, checkPortNumber, checkProtocol } from './ports.js';
import { checkUnixAddress, UNIX_PREFIX } from './unix-address.js';

export function validateSidecar(sc: Sidecar, ctx: Ctx): void {
  if (sc.workloadSelector !== undefined && Object.keys(sc.workloadSelector.labels ?? {}).length === 0) {
    ctx.at('workloadSelector', 'labels').error('workloadSelector cannot have empty labels');
  }
  if ((sc.egress?.length ?? 0) === 0) ctx.at('egress').error('at least one egress listener is required');
  const ingressKeys = new Set<string>();
  eachAt(sc.ingress, ctx.at('ingress'), (l, at) => checkIngress(l, ingressKeys, at));
  const egressKeys = new Set<string>();
  let catchAll = false;
  const last = (sc.egress?.length ?? 0) - 1;
  eachAt(sc.egress, ctx.at('egress'), (l, at, i) => {
    if (l.port === undefined) {
      if (catchAll) at.error('only one egress listener may omit the port');
      else if (i !== last) at.error('the egress listener without a port must be the last one');
      catchAll = true;
    } else {
      checkListenerPort(l, egressKeys, at);
    }
    checkEgressHosts(l, at);
  });
}

function checkIngress(l: IstioIngressListener, keys: Set<string>, ctx: Ctx): void {
  if (l.port === undefined) {
    ctx.at('port').error('port is required for ingress listeners');
    return;
  }
  checkListenerPort(l, keys, ctx);
  const endpoint = l.defaultEndpoint ?? '';
  if (endpoint === '') {
    ctx.at('defaultEndpoint').error('defaultEndpoint is required for ingress listeners');
  } else if (endpoint.startsWith(UNIX_PREFIX)) {
    checkUnixAddress(endpoint.slice(UNIX_PREFIX.length), ctx.at('defaultEndpoint'));
  } else {
    const m = /^(127\.0\.0\.1)?:(\d+)$/.exec(endpoint);
    if (m === null) ctx.at('defaultEndpoint').error('defaultEndpoint must be 127.0.0.1:<port>, :<port> or unix:///path');
    else checkPortNumber(Number(m[2]), ctx.at('defaultEndpoint'));
  }
}

/** Port 0 means a Unix-socket listener: it needs a unix:// bind and cannot be captured by iptables. */
function checkListenerPort(l: { port?: Port; bind?: string; captureMode?: string }, keys: Set<string>, ctx: Ctx): void {
  const port = l.port ?? {};
  const bind = l.bind ?? '';
  if (port.name !== undefined && port.name !== '') checkPortName(port.name, ctx.at('port', 'name'));
  checkProtocol(port.protocol, ctx.at('port', 'protocol'));
  if ((port.number ?? 0) === 0) {
    if (!bind.startsWith(UNIX_PREFIX)) ctx.at('bind').error('a listener with port 0 needs a unix:// bind address');
    else checkUnixAddress(bind.slice(UNIX_PREFIX.length), ctx.at('bind'));
    if (l.captureMode !== undefined && l.captureMode !== 'DEFAULT' && l.captureMode !== 'NONE') {
      ctx.at('captureMode').error('unix domain socket listeners need captureMode DEFAULT or NONE');
    }
    if (keys.has(`uds:${bind}`)) ctx.at('bind').error(`unix socket ${JSON.stringify(bind)} is already used by another listener`);
    keys.add(`uds:${bind}`);
    return;
  }
  checkPortNumber(port.number, ctx.at('port', 'number'));
  if (bind !== '') {
    const err = checkIPv4Address(bind);
    if (err !== undefined) ctx.at('bind').error(err);
  }
  if (keys.has(`port:${port.number}`)) ctx.at('port', 'number').error(`port ${port.number} is already used by another listener`);
  keys.add(`port:${port.number}`);
}

function checkEgressHosts(l: IstioEgressListener, ctx: Ctx): void {
  if ((l.hosts?.length ?? 0) === 0) ctx.at('hosts').error('an egress listener needs at least one host');
  eachAt(l.hosts, ctx.at('hosts'), (h, at) => checkNamespacedHost(h, false, at));
}
