// A sidecar's per-port outbound listeners (Istio 1.3 buildSidecarOutboundListeners): `0.0.0.0_<port>`
// with an RDS connection manager for HTTP ports, `<vip>_<port>` with tcp_proxy chains for the rest.
// None binds a socket: the capture listener on 15001 hands them connections by original destination.
import type { FilterChain, Listener } from '@weft/api';
import { isHttp } from '../../model/protocol.js';
import type { Service, ServicePort } from '../../model/service.js';
import { outboundShareKey, sharedValue, type GeneratorContext } from '../generator.js';
import { listenerName, outboundRouteName } from '../names.js';
import { serviceIndex } from '../route/route-context.js';
import { meshVirtualServices } from '../route/sidecar-virtual-hosts.js';
import { MESH_GATEWAY } from '../route/virtual-service.js';
import { workloadLabels, workloadLabelsKey } from '../route/workload.js';
import { httpConnectionManagerFilter } from './http-connection-manager.js';
import { buildListener, filterChain, matchKey } from './listener-build.js';
import { sidecarL4Chains, type SidecarL4Input } from './sidecar-l4-chains.js';

export const WILDCARD_ADDRESS = '0.0.0.0';

interface Draft {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly http: boolean;
  readonly chains: FilterChain[];
}

/** Where a TCP listener binds: the VIP; 0.0.0.0 (plus a CIDR match) for CIDRs and VIP-less services. */
function tcpBind(service: Service): { address: string; cidr: string; hasVip: boolean } {
  const a = service.address;
  if (a === '' || a === WILDCARD_ADDRESS) return { address: WILDCARD_ADDRESS, cidr: '', hasVip: false };
  if (!a.includes('/')) return { address: a, cidr: '', hasVip: true };
  if (a.endsWith('/32')) return { address: a.slice(0, -3), cidr: '', hasVip: true };
  return { address: WILDCARD_ADDRESS, cidr: a, hasVip: false };
}

function httpDraft(ctx: GeneratorContext, port: number): Draft {
  const name = listenerName(WILDCARD_ADDRESS, port);
  const hcm = httpConnectionManagerFilter(ctx.snapshot.mesh, {
    role: 'sidecar-outbound',
    statPrefix: name,
    rds: outboundRouteName(port),
    http10: ctx.proxy.metadata['HTTP10'] === '1',
  });
  return { name, address: WILDCARD_ADDRESS, port, http: true, chains: [filterChain({ filters: [hcm] })] };
}

/**
 * Drafts per listener name. The first service to claim a name decides HTTP vs TCP; TCP chains of
 * later services are merged unless their match repeats an existing one (Envoy would reject it).
 */
export function sidecarOutboundListeners(ctx: GeneratorContext): readonly (Listener & { name: string })[] {
  // Read of the proxy: its outbound scope, HTTP10 and (only when sourceLabels are used) its labels.
  const key = `lds.outbound|${outboundShareKey(ctx)}|${ctx.proxy.metadata['HTTP10'] === '1'}|${workloadLabelsKey(ctx)}`;
  return sharedValue(ctx, key, () => buildSidecarOutboundListeners(ctx));
}

function buildSidecarOutboundListeners(ctx: GeneratorContext): (Listener & { name: string })[] {
  const drafts = new Map<string, Draft>();
  const vss = meshVirtualServices(ctx);
  const input: SidecarL4Input = {
    mesh: ctx.snapshot.mesh,
    port: 0,
    service: serviceIndex(ctx),
    workloadLabels: workloadLabels(ctx),
    proxyNamespace: ctx.proxy.namespace,
    gatewayNames: new Set([MESH_GATEWAY]),
  };
  const addTcp = (service: Service, port: ServicePort) => {
    const bind = tcpBind(service);
    const name = listenerName(bind.address, port.port);
    const existing = drafts.get(name);
    if (existing?.http) return;
    const opts = sidecarL4Chains(service, port, bind.cidr, !bind.hasVip, vss, { ...input, port: port.port });
    const draft = existing ?? { name, address: bind.address, port: port.port, http: false, chains: [] };
    const keys = new Set(draft.chains.map(matchKey));
    for (const chain of opts.map(filterChain)) {
      if (keys.has(matchKey(chain))) continue;
      keys.add(matchKey(chain));
      draft.chains.push(chain);
    }
    drafts.set(name, draft);
  };
  for (const service of ctx.scope.services) {
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      if (isHttp(port.protocol)) {
        const name = listenerName(WILDCARD_ADDRESS, port.port);
        if (!drafts.has(name)) drafts.set(name, httpDraft(ctx, port.port));
      } else {
        addTcp(service, port);
      }
    }
  }
  return [...drafts.values()]
    .sort((a, b) => a.port - b.port || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((d) => buildListener({ name: d.name, address: d.address, port: d.port, chains: d.chains, direction: 'OUTBOUND', bindToPort: false }));
}
