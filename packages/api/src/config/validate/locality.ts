// Locality load-balancing settings (mesh-wide in 1.1-1.4, per DestinationRule from 1.5).
// Localities are region/zone/subzone with at most one trailing "*".
import type { LocalityLoadBalancerSetting } from '../types/destination-rule.js';
import { type Ctx, eachAt } from './context.js';

/** Reports localities that are malformed or overlap an earlier one (e.g. `us-east/*` then `us-east/zone1`). */
function checkLocalities(entries: readonly { locality: string; ctx: Ctx }[]): void {
  const seen: string[][] = [];
  for (const { locality, ctx } of entries) {
    const stars = locality.split('*').length - 1;
    if (stars > 1 || (stars === 1 && !locality.endsWith('*'))) {
      ctx.error(`locality ${JSON.stringify(locality)}: "*" may appear once, at the end`);
      continue;
    }
    const parts = locality.split('/', 3);
    if (locality.split('/').length > 3 || parts.some((p) => p === '')) {
      ctx.error(`locality ${JSON.stringify(locality)} must be region[/zone[/subzone]] with no empty parts`);
      continue;
    }
    // A trailing "*" part means "any"; "us-east/*" covers what "us-east" covers.
    const prefix = parts[parts.length - 1] === '*' ? parts.slice(0, -1) : parts;
    if (seen.some((prev) => isPrefix(prev, prefix) || isPrefix(prefix, prev))) {
      ctx.error(`locality ${JSON.stringify(locality)} overlaps an earlier locality`);
    }
    seen.push(prefix);
  }
}

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  return a.length <= b.length && a.every((p, i) => p === b[i]);
}

export function checkLocalityLbSetting(lb: LocalityLoadBalancerSetting, ctx: Ctx): void {
  if ((lb.distribute?.length ?? 0) > 0 && (lb.failover?.length ?? 0) > 0) ctx.error('distribute and failover cannot both be set');
  const sources: { locality: string; ctx: Ctx }[] = [];
  eachAt(lb.distribute, ctx.at('distribute'), (d, at) => {
    sources.push({ locality: d.from ?? '', ctx: at.at('from') });
    let total = 0;
    const targets: { locality: string; ctx: Ctx }[] = [];
    for (const [loc, weight] of Object.entries(d.to ?? {})) {
      if (weight === 0) at.at('to').key(loc).error('locality weight must be in the range 1..100');
      total += weight;
      targets.push({ locality: loc, ctx: at.at('to').key(loc) });
    }
    if (total !== 100) at.at('to').error(`locality weights must add up to 100, got ${total}`);
    checkLocalities(targets);
  });
  checkLocalities(sources);
  eachAt(lb.failover, ctx.at('failover'), (f, at) => {
    if (f.from === f.to) at.error('failover from and to must be different regions');
    if ((f.to ?? '').includes('*')) at.at('to').error('failover region cannot contain "*"');
  });
}
