// ObjectMeta rules: Kubernetes naming, plus Istio's stricter rule for Gateway names (referenced as ns/name).
import type { ObjectMeta } from '../envelope.js';
import type { KindInfo } from '../kinds.js';
import type { Ctx } from './context.js';
import { isDNS1123Label, isK8sLabel, isK8sSubdomain } from './hosts.js';
import { checkLabelKey, checkLabels } from './labels.js';

/** Kinds whose names appear inside other objects' references, so dots would break parsing. */
const LABEL_NAMED_KINDS = new Set(['networking.istio.io/Gateway']);

export function checkMetadata(meta: ObjectMeta | undefined, info: KindInfo | undefined, ctx: Ctx): void {
  if (meta === undefined) {
    ctx.error('metadata is required');
    return;
  }
  const name = meta.name ?? '';
  if (name === '') {
    if ((meta.generateName ?? '') === '') ctx.at('name').error('name is required');
  } else if (info !== undefined && LABEL_NAMED_KINDS.has(`${info.group}/${info.kind}`)) {
    if (!isDNS1123Label(name)) ctx.at('name').error(`${info.kind} name ${JSON.stringify(name)} must be a DNS-1123 label (no dots), because it is referenced as namespace/name`);
  } else if (!isK8sSubdomain(name)) {
    ctx.at('name').error(`name ${JSON.stringify(name)} must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', at most 253 characters`);
  }
  if (meta.namespace !== undefined) {
    if (!isK8sLabel(meta.namespace)) ctx.at('namespace').error(`namespace ${JSON.stringify(meta.namespace)} must be a DNS-1123 label: lower case letters, digits and '-', at most 63 characters`);
    else if (info?.clusterScoped === true) ctx.at('namespace').warn(`${info.kind} is cluster-scoped; namespace is ignored`);
  }
  checkLabels(meta.labels, ctx.at('labels'));
  for (const key of Object.keys(meta.annotations ?? {})) {
    const err = checkLabelKey(key);
    if (err !== undefined) ctx.at('annotations').key(key).error(err.replace('label key', 'annotation key'));
  }
}
