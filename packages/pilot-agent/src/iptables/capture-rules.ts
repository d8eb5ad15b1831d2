// The nat-table rules of Istio 1.3's istio-iptables.sh, generated from a CaptureConfig (pure, no I/O).
// Rules are written in the canonical form iptables-save prints back, so that a dry run, the restore
// input and the saved table can be compared line for line.
import type { CaptureConfig } from './capture-config.js';

export const ISTIO_INBOUND = 'ISTIO_INBOUND';
export const ISTIO_REDIRECT = 'ISTIO_REDIRECT';
export const ISTIO_IN_REDIRECT = 'ISTIO_IN_REDIRECT';
export const ISTIO_OUTPUT = 'ISTIO_OUTPUT';
/** The chains this command creates (and the only ones `--clean` removes). */
export const CAPTURE_CHAINS: readonly string[] = [ISTIO_INBOUND, ISTIO_REDIRECT, ISTIO_IN_REDIRECT, ISTIO_OUTPUT];

/** Source address of the inbound passthrough cluster's upstream connections (1.3→). */
export const INBOUND_PASSTHROUGH_SOURCE = '127.0.0.6/32';
/** Never redirected inbound when every port is captured, so that ssh into a VM keeps working. */
export const SSH_PORT = 22;

/** The nat table additions: chains to declare, then rule commands (`-A`/`-I`) in the script's order. */
export interface NatRules {
  readonly chains: readonly string[];
  readonly rules: readonly string[];
}

function inboundRules(c: CaptureConfig): string[] {
  if (c.inboundPorts !== '*' && c.inboundPorts.length === 0) return [];
  const rules = [`-A PREROUTING -p tcp -j ${ISTIO_INBOUND}`];
  if (c.inboundPorts === '*') {
    for (const p of [SSH_PORT, ...c.inboundExcludePorts]) rules.push(`-A ${ISTIO_INBOUND} -p tcp -m tcp --dport ${p} -j RETURN`);
    rules.push(`-A ${ISTIO_INBOUND} -p tcp -j ${ISTIO_IN_REDIRECT}`);
  } else {
    for (const p of c.inboundPorts) rules.push(`-A ${ISTIO_INBOUND} -p tcp -m tcp --dport ${p} -j ${ISTIO_IN_REDIRECT}`);
  }
  return rules;
}

function outboundRules(c: CaptureConfig): string[] {
  const rules = [`-A OUTPUT -p tcp -j ${ISTIO_OUTPUT}`];
  // Port exclusions come first so that they also win over the loopback redirect below.
  for (const p of c.outboundExcludePorts) rules.push(`-A ${ISTIO_OUTPUT} -p tcp -m tcp --dport ${p} -j RETURN`);
  rules.push(`-A ${ISTIO_OUTPUT} -s ${INBOUND_PASSTHROUGH_SOURCE} -o lo -j RETURN`);
  // An app (or Envoy) calling the pod's own IP goes through the inbound path: app → Envoy → app.
  if (c.redirectLocalLoopback) rules.push(`-A ${ISTIO_OUTPUT} ! -d 127.0.0.1/32 -o lo -j ${ISTIO_IN_REDIRECT}`);
  for (const uid of c.proxyUids) rules.push(`-A ${ISTIO_OUTPUT} -m owner --uid-owner ${uid} -j RETURN`);
  for (const gid of c.proxyGids) rules.push(`-A ${ISTIO_OUTPUT} -m owner --gid-owner ${gid} -j RETURN`);
  rules.push(`-A ${ISTIO_OUTPUT} -d 127.0.0.1/32 -j RETURN`);
  for (const cidr of c.outboundExcludeCidrs) rules.push(`-A ${ISTIO_OUTPUT} -d ${cidr} -j RETURN`);
  // KubeVirt rules are inserted at the top of PREROUTING, each above the previous one, as the script does.
  for (const dev of c.kubeVirtInterfaces) rules.push(`-I PREROUTING 1 -i ${dev} -j RETURN`);
  if (c.outboundIncludeCidrs === '*') {
    rules.push(`-A ${ISTIO_OUTPUT} -j ${ISTIO_REDIRECT}`);
    for (const dev of c.kubeVirtInterfaces) rules.push(`-I PREROUTING 1 -i ${dev} -j ${ISTIO_REDIRECT}`);
  } else if (c.outboundIncludeCidrs.length > 0) {
    for (const cidr of c.outboundIncludeCidrs) {
      for (const dev of c.kubeVirtInterfaces) rules.push(`-I PREROUTING 1 -d ${cidr} -i ${dev} -j ${ISTIO_REDIRECT}`);
      rules.push(`-A ${ISTIO_OUTPUT} -d ${cidr} -j ${ISTIO_REDIRECT}`);
    }
    rules.push(`-A ${ISTIO_OUTPUT} -j RETURN`);
  }
  return rules;
}

/** Every rule Istio 1.3 writes for this configuration (REDIRECT mode, IPv4). */
export function captureRules(c: CaptureConfig): NatRules {
  const inbound = inboundRules(c);
  // ISTIO_IN_REDIRECT targets the dedicated inbound port only when every port is captured (1.3).
  const inPort = c.inboundPorts === '*' ? c.inboundCapturePort : c.proxyPort;
  return {
    chains: [...(inbound.length > 0 ? [ISTIO_INBOUND] : []), ISTIO_REDIRECT, ISTIO_IN_REDIRECT, ISTIO_OUTPUT],
    rules: [
      `-A ${ISTIO_REDIRECT} -p tcp -j REDIRECT --to-ports ${c.proxyPort}`,
      `-A ${ISTIO_IN_REDIRECT} -p tcp -j REDIRECT --to-ports ${inPort}`,
      ...inbound,
      ...outboundRules(c),
    ],
  };
}

/**
 * One iptables-restore transaction for the nat table: `removals` (`-D`, `-F`, `-X` of earlier
 * capture rules) first, then the chain declarations and rules. Applied with `--noflush`, the
 * kernel takes all of it or none of it.
 */
export function natTransaction(removals: readonly string[], add?: NatRules): string {
  const lines = ['*nat', ...removals, ...(add?.chains.map((ch) => `:${ch} - [0:0]`) ?? []), ...(add?.rules ?? []), 'COMMIT'];
  return `${lines.join('\n')}\n`;
}
