// The "accepted, not enforced" rule: a config field that only changes observability may be accepted
// without being acted on, and then it is said so — a warning with the field's path on the update
// (logged when the update is applied).
// Fields that change routing, protocol, security or resource semantics never come here: they are
// implemented or the update is NACKed with their path. docs/components/proxy.md lists every field
// that calls this.
import type { IssueCollector } from '@weft/base';

const MARK = 'accepted, not enforced';

/** Records that the field at `issues.at(field)` is accepted and not enforced. */
export function acceptNotEnforced(issues: IssueCollector, field: string, why?: string): void {
  issues.at(field).warn(why ? `${MARK}: ${why}` : MARK);
}
