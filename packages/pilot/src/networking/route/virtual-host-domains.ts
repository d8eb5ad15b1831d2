// The domains of a service's virtual host (Istio 1.3 httproute.go generateVirtualHostDomains): the
// FQDN, every shorter name that resolves from the proxy's namespace, and the VIP, each with `:port`.

/**
 * Splits `reviews.default.svc.cluster.local` against the proxy domain `default.svc.cluster.local`
 * into the unique part (`reviews`) and the shared DNS suffix (`default.svc.cluster.local`).
 */
export function uniqueAndSharedDnsDomain(fqdn: string, proxyDomain: string): { unique: string; shared: string } {
  const host = fqdn.split('.').reverse();
  const domain = proxyDomain.split('.').reverse();
  let n = 0;
  while (n < host.length && n < domain.length && host[n] === domain[n]) n++;
  if (n === 0) return { unique: fqdn, shared: '' };
  return { unique: host.slice(n).reverse().join('.'), shared: host.slice(0, n).reverse().join('.') };
}

/**
 * The short forms (Istio's generateAltVirtualHosts): the unique part, then the unique part plus each
 * longer prefix of the shared suffix (`reviews.default.svc.cluster`, `reviews.default.svc`,
 * `reviews.default`), each with and without `:port`. None when nothing is shared.
 */
export function altVirtualHosts(hostname: string, port: number, proxyDomain: string): string[] {
  const { unique, shared } = uniqueAndSharedDnsDomain(hostname, proxyDomain);
  if (shared === '') return [];
  const out = [unique, `${unique}:${port}`];
  for (let i = shared.length - 1; i > 0; i--) {
    if (shared[i] !== '.') continue;
    const variant = `${unique}.${shared.slice(0, i)}`;
    out.push(variant, `${variant}:${port}`);
  }
  return out;
}

/** The VIP as a domain: a plain IP, or a /32 CIDR; other CIDRs and 0.0.0.0 give none. */
function vipDomain(address: string): string | undefined {
  if (address === '' || address === '0.0.0.0') return undefined;
  const slash = address.indexOf('/');
  if (slash < 0) return address;
  return address.slice(slash + 1) === '32' ? address.slice(0, slash) : undefined;
}

/** All domains of `hostname:port` for a proxy in `proxyDomain` (e.g. `default.svc.cluster.local`). */
export function virtualHostDomains(hostname: string, address: string, port: number, proxyDomain: string): string[] {
  const out = [hostname, `${hostname}:${port}`, ...altVirtualHosts(hostname, port, proxyDomain)];
  const vip = vipDomain(address);
  if (vip) out.push(vip, `${vip}:${port}`);
  return out;
}
