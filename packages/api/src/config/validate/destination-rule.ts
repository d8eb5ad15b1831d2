// DestinationRule: host, traffic policy, and uniquely named subsets.
import type { DestinationRule } from '../types/destination-rule.js';
import { type Ctx, eachAt } from './context.js';
import { checkSubsetName } from './destination.js';
import { checkExportTo } from './export-to.js';
import { checkWildcardDomain } from './hosts.js';
import { checkLabels } from './labels.js';
import { checkTrafficPolicy } from './traffic-policy.js';

export function validateDestinationRule(dr: DestinationRule, ctx: Ctx): void {
  const host = dr.host ?? '';
  if (host === '') ctx.at('host').error('host is required');
  else {
    const err = checkWildcardDomain(host);
    if (err !== undefined) ctx.at('host').error(err);
  }
  if (dr.trafficPolicy !== undefined) checkTrafficPolicy(dr.trafficPolicy, ctx.at('trafficPolicy'));
  const names = new Map<string, number>();
  eachAt(dr.subsets, ctx.at('subsets'), (subset, at, i) => {
    checkSubsetName(subset.name, at.at('name'));
    checkLabels(subset.labels, at.at('labels'));
    if (subset.trafficPolicy !== undefined) checkTrafficPolicy(subset.trafficPolicy, at.at('trafficPolicy'));
    // Subset names become cluster names (outbound|port|subset|host), so a duplicate silently shadows.
    const name = subset.name;
    if (name === undefined || name === '') return;
    const first = names.get(name);
    if (first !== undefined) at.at('name').error(`duplicate subset name ${JSON.stringify(name)} (also subsets[${first}])`);
    else names.set(name, i);
  });
  checkExportTo(dr.exportTo, ctx.at('exportTo'));
}
