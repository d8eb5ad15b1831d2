// /etc/netns/<pod>/hosts: what a pod's resolver answers (pure). `ip netns exec` bind-mounts it over
// /etc/hosts, so Kubernetes names (`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`) resolve
// to service VIPs, as cluster DNS would; the short name only inside the Service's own namespace.

export interface HostsEntry {
  readonly ip: string;
  /** The Service name and namespace the names are made from. */
  readonly name: string;
  readonly namespace: string;
}

export function serviceNames(name: string, namespace: string, domain: string, fromNamespace: string): string[] {
  const names = [`${name}.${namespace}.svc.${domain}`, `${name}.${namespace}.svc`, `${name}.${namespace}`];
  if (namespace === fromNamespace) names.push(name);
  return names;
}

export function hostsFile(pod: { readonly name: string; readonly namespace: string; readonly ip: string }, entries: readonly HostsEntry[], domain: string): string {
  const lines = [
    '# Written by weftctl local for this pod; rewritten when Services change.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${pod.ip}\t${pod.name}`,
  ];
  const sorted = [...entries].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  for (const e of sorted) lines.push(`${e.ip}\t${serviceNames(e.name, e.namespace, domain, pod.namespace).join(' ')}`);
  return `${lines.join('\n')}\n`;
}
