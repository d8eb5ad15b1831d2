// The "accepted, not enforced" rule: a config field that only changes observability may be accepted
// without being acted on, and then it is said so — a warning with the field's path on the update
// (logged when the update is applied).
// Fields that change routing, protocol, security or resource semantics never come here: they are
// implemented or the update is NACKed with their path. docs/components/proxy.md lists every field
// that calls this.
import type { IssueCollector } from '@weft/base';
import type { StatScope } from '../stats/stat-store.js';

const MARK = 'accepted, not enforced';

/** Counter of the accepted-not-enforced fields in every applied update (listeners, clusters, routes). */
export const NOT_ENFORCED_STAT = 'config.accepted_not_enforced';

/** How many accepted-not-enforced marks these warning messages carry (a formatted message may hold several). */
export function notEnforcedCount(messages: readonly string[]): number {
  let n = 0;
  for (const m of messages) n += m.split(MARK).length - 1;
  return n;
}

/** Adds the accepted-not-enforced fields of an applied update to config.accepted_not_enforced. */
export function countNotEnforced(stats: StatScope | undefined, messages: readonly string[]): void {
  const n = notEnforcedCount(messages);
  if (n > 0) stats?.counter(NOT_ENFORCED_STAT).add(n);
}

/** Records that the field at `issues.at(field)` is accepted and not enforced. */
export function acceptNotEnforced(issues: IssueCollector, field: string, why?: string): void {
  issues.at(field).warn(why ? `${MARK}: ${why}` : MARK);
}
