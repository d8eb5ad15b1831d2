// WorkloadEntry (Istio 1.6+): a non-Kubernetes workload's address, ports and labels.
import type { WorkloadEntry } from '../types/workload-entry.js';
import type { Ctx } from './context.js';
import { checkFQDN } from './hosts.js';
import { isIP } from './ip.js';
import { checkLabels } from './labels.js';
import { checkPortName, checkPortNumber } from './ports.js';
import { checkUnixAddress, UNIX_PREFIX } from './unix-address.js';

export function validateWorkloadEntry(we: WorkloadEntry, ctx: Ctx): void {
  const address = we.address ?? '';
  if (address === '') ctx.at('address').error('address is required');
  else if (address.startsWith(UNIX_PREFIX)) checkUnixAddress(address.slice(UNIX_PREFIX.length), ctx.at('address'));
  else if (!isIP(address) && checkFQDN(address) !== undefined) {
    ctx.at('address').error(`address ${JSON.stringify(address)} is neither an IP address nor a DNS name`);
  }
  checkLabels(we.labels, ctx.at('labels'));
  for (const [name, port] of Object.entries(we.ports ?? {})) {
    checkPortName(name, ctx.at('ports').key(name));
    checkPortNumber(port, ctx.at('ports').key(name));
  }
  if (we.locality !== undefined && we.locality.split('/').length > 3) ctx.at('locality').error('locality must be region[/zone[/subzone]]');
}
