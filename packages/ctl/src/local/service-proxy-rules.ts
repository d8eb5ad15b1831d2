// Service VIPs for workloads without a sidecar (pure): what kube-proxy's iptables mode does, written
// as one iptables-restore payload for the node's network namespace (which holds nothing else, so the
// whole nat and filter tables are replaced at once). A sidecar captures VIP traffic before it gets
// here; these rules serve pods with `sidecar.istio.io/inject: "false"` and the proxies' passthrough.
import type { KubeServicePort } from './kube/kube-objects.js';

export interface ServiceRoute {
  readonly vip: string;
  readonly ports: readonly KubeServicePort[];
  /** Ready endpoints: pod IP and the pod's target port for each Service port (by port number). */
  readonly endpoints: readonly { readonly ip: string; readonly targetPorts: ReadonlyMap<number, number> }[];
}

/**
 * nat: DNAT each VIP:port to one ready endpoint, chosen at random with equal probability
 * (`-m statistic`), from PREROUTING (pods) and OUTPUT (the node itself); DNATed traffic from pods is
 * masqueraded so replies return through the node even between pods on the same bridge.
 * filter: a VIP:port with no ready endpoint is rejected with a TCP reset, as kube-proxy does.
 */
export function serviceProxyRules(routes: readonly ServiceRoute[], podCidr: string): string {
  const nat: string[] = [];
  const filter: string[] = [];
  for (const r of routes) {
    for (const p of r.ports) {
      const match = `-d ${r.vip}/32 -p tcp -m tcp --dport ${p.port}`;
      const targets = r.endpoints.flatMap((e) => {
        const t = e.targetPorts.get(p.port);
        return t === undefined ? [] : [`${e.ip}:${t}`];
      });
      if (targets.length === 0) {
        filter.push(`-A WEFT-SERVICES ${match} -j REJECT --reject-with tcp-reset`);
        continue;
      }
      targets.forEach((to, i) => {
        const left = targets.length - i;
        const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(10)}` : '';
        nat.push(`-A WEFT-SERVICES ${match}${pick} -j DNAT --to-destination ${to}`);
      });
    }
  }
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':WEFT-SERVICES - [0:0]',
    '-A PREROUTING -j WEFT-SERVICES',
    '-A OUTPUT -j WEFT-SERVICES',
    `-A POSTROUTING -s ${podCidr} -m conntrack --ctstate DNAT -j MASQUERADE`,
    ...nat,
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':WEFT-SERVICES - [0:0]',
    '-A FORWARD -j WEFT-SERVICES',
    '-A OUTPUT -j WEFT-SERVICES',
    ...filter,
    'COMMIT',
    '',
  ].join('\n');
}
