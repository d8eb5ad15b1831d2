// istio-iptables' flags parsed once into a typed capture configuration (pure; every problem collected).
// The list syntax is the 1.3 script's: comma lists, `*` for "all", an empty string for "none".
import { isIPv4, isIPv6 } from 'node:net';
import { IssueCollector, type ValidationResult } from '@weft/base';

/** Chosen by the 1.3 script: 1337 is the `istio-proxy` user the sidecar runs as. */
export const DEFAULT_PROXY_UID = 1337;

export interface CaptureConfig {
  /** Envoy's outbound capture port, the target of ISTIO_REDIRECT (`-p`). */
  readonly proxyPort: number;
  /** Inbound capture port (`-z`); used by ISTIO_IN_REDIRECT only when every inbound port is captured. */
  readonly inboundCapturePort: number;
  /** Owners whose outbound traffic is never captured (`-u`, `-g`). */
  readonly proxyUids: readonly number[];
  readonly proxyGids: readonly number[];
  /** `*` = every inbound port; an empty list = no inbound capture (`-b`). */
  readonly inboundPorts: '*' | readonly number[];
  /** Inbound ports left alone when `inboundPorts` is `*` (`-d`). */
  readonly inboundExcludePorts: readonly number[];
  /** `*` = every outbound destination; an empty list = no outbound capture (`-i`). IPv4 only. */
  readonly outboundIncludeCidrs: '*' | readonly string[];
  /** Outbound destinations left alone (`-x`). IPv4 only. */
  readonly outboundExcludeCidrs: readonly string[];
  /** Outbound destination ports left alone (`-o`). */
  readonly outboundExcludePorts: readonly number[];
  /** Interfaces whose incoming traffic is treated as outbound (`-k`, KubeVirt VMs). */
  readonly kubeVirtInterfaces: readonly string[];
  /** Off with DISABLE_REDIRECTION_ON_LOCAL_LOOPBACK: an app calling its own pod IP then skips the proxy. */
  readonly redirectLocalLoopback: boolean;
}

/** The flag values as typed on the command line; lists are still strings. */
export interface CaptureFlags {
  readonly proxyPort: number;
  readonly inboundCapturePort: number;
  readonly proxyUid?: string | undefined;
  readonly proxyGid?: string | undefined;
  readonly mode: string;
  readonly inboundPorts?: string | undefined;
  readonly inboundExcludePorts?: string | undefined;
  readonly outboundIncludeCidrs?: string | undefined;
  readonly outboundExcludeCidrs?: string | undefined;
  readonly outboundExcludePorts?: string | undefined;
  readonly kubeVirtInterfaces?: string | undefined;
  readonly disableLocalLoopbackRedirect: boolean;
}

function items(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function port(value: number, at: IssueCollector): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) at.error(`port ${value} is not between 1 and 65535`);
  return value;
}

function ports(raw: string | undefined, at: IssueCollector): number[] {
  return items(raw).map((s, i) => {
    if (!/^\d+$/.test(s)) {
      at.at(i).error(`"${s}" is not a port number`);
      return 0;
    }
    return port(Number(s), at.at(i));
  });
}

function ids(raw: string | undefined, at: IssueCollector): number[] {
  return items(raw).map((s, i) => {
    if (!/^\d+$/.test(s) || Number(s) > 0xffffffff) at.at(i).error(`"${s}" is not a numeric id`);
    return Number(s);
  });
}

/** `10.1.2.3` → `10.1.2.3/32`, `10.1.2.3/8` → `10.0.0.0/8`: the form iptables-save prints back. */
export function canonicalIPv4Cidr(ip: string, prefix: number): string {
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${prefix}`;
}

/** IPv6 entries are skipped with a warning: Weft programs iptables (IPv4) only, never ip6tables. */
function cidrs(raw: string | undefined, at: IssueCollector): string[] {
  const out: string[] = [];
  items(raw).forEach((entry, i) => {
    const [ip = '', prefix, extra] = entry.split('/');
    const p = prefix === undefined ? undefined : /^\d+$/.test(prefix) ? Number(prefix) : NaN;
    if (extra === undefined && isIPv6(ip) && (p === undefined || p <= 128)) {
      at.at(i).warn(`IPv6 range ${entry} skipped: only IPv4 (iptables) is programmed, never ip6tables`);
    } else if (extra === undefined && isIPv4(ip) && (p === undefined || p <= 32)) {
      out.push(canonicalIPv4Cidr(ip, p ?? 32));
    } else {
      at.at(i).error(`"${entry}" is not an IP address or CIDR range`);
    }
  });
  return out;
}

function interfaces(raw: string | undefined, at: IssueCollector): string[] {
  return items(raw).map((name, i) => {
    if (!/^[A-Za-z0-9_.:@+-]{1,15}$/.test(name)) at.at(i).error(`"${name}" is not an interface name`);
    return name;
  });
}

/**
 * Resolves the flags as Istio 1.3's istio-iptables.sh does: without `-u` the proxy uid (or 1337) and
 * root are both excluded; `-g` defaults to the uid list; `-d` only matters when `-b` is `*`.
 * The interception mode must be REDIRECT (or empty); TPROXY is refused by the command before this.
 */
export function parseCaptureConfig(flags: CaptureFlags, defaultProxyUid = DEFAULT_PROXY_UID): ValidationResult<CaptureConfig> {
  const c = new IssueCollector();
  if (flags.mode !== '' && flags.mode !== 'REDIRECT') c.at('-m').error(`unknown interception mode "${flags.mode}" (only REDIRECT is supported)`);
  const proxyPort = port(flags.proxyPort, c.at('-p'));
  const inboundCapturePort = port(flags.inboundCapturePort, c.at('-z'));
  const uidsGiven = items(flags.proxyUid).length > 0;
  const proxyUids = uidsGiven ? ids(flags.proxyUid, c.at('-u')) : [defaultProxyUid, 0];
  const proxyGids = items(flags.proxyGid).length > 0 ? ids(flags.proxyGid, c.at('-g')) : proxyUids;
  const inboundAll = (flags.inboundPorts ?? '').trim() === '*';
  const inboundPorts = inboundAll ? '*' : ports(flags.inboundPorts, c.at('-b'));
  const inboundExcludePorts = ports(flags.inboundExcludePorts, c.at('-d'));
  if (!inboundAll && inboundExcludePorts.length > 0) c.at('-d').warn('excluded inbound ports only apply when -b is "*"; ignored');
  const outboundAll = (flags.outboundIncludeCidrs ?? '').trim() === '*';
  const outboundIncludeCidrs = outboundAll ? '*' : cidrs(flags.outboundIncludeCidrs, c.at('-i'));
  const outboundExcludeCidrs = cidrs(flags.outboundExcludeCidrs, c.at('-x'));
  const outboundExcludePorts = ports(flags.outboundExcludePorts, c.at('-o'));
  const kubeVirtInterfaces = interfaces(flags.kubeVirtInterfaces, c.at('-k'));
  return c.result<CaptureConfig>({
    proxyPort,
    inboundCapturePort,
    proxyUids,
    proxyGids,
    inboundPorts,
    inboundExcludePorts: inboundAll ? inboundExcludePorts : [],
    outboundIncludeCidrs,
    outboundExcludeCidrs,
    outboundExcludePorts,
    kubeVirtInterfaces,
    redirectLocalLoopback: !flags.disableLocalLoopbackRedirect,
  });
}
