// config.istio.io/v1alpha2 Mixer kinds: rules (match + actions), handlers, instances, attribute manifests.
import type { AttributeManifest, MixerHandler, MixerHeaderOperation, MixerInstance, MixerRule } from '../types/mixer.js';
import { checkCexl } from './cexl.js';
import { type Ctx, eachAt } from './context.js';
import { checkDuration } from './duration.js';
import { isDNS1123Label } from './hosts.js';

/**
 * Handler and instance references: `name`, `name.namespace` (1.1+), or the legacy `name.kind[.namespace]`
 * of 1.0-1.1 per-adapter kinds. Every segment is a DNS-1123 label.
 */
export function checkMixerReference(ref: string, what: 'handler' | 'instance', ctx: Ctx): void {
  const parts = ref.split('.');
  if (ref === '') ctx.error(`${what} reference is required`);
  else if (parts.length > 3 || !parts.every(isDNS1123Label)) {
    ctx.error(`invalid ${what} reference ${JSON.stringify(ref)}; expected name, name.namespace or name.kind.namespace`);
  }
}

export function validateMixerRule(rule: MixerRule, ctx: Ctx): void {
  if (rule.match !== undefined) {
    const err = checkCexl(rule.match);
    if (err !== undefined) ctx.at('match').error(err);
  }
  if ((rule.actions?.length ?? 0) === 0 && (rule.requestHeaderOperations?.length ?? 0) === 0 && (rule.responseHeaderOperations?.length ?? 0) === 0) {
    ctx.at('actions').warn('a rule without actions or header operations does nothing');
  }
  const names = new Map<string, number>();
  eachAt(rule.actions, ctx.at('actions'), (action, at, i) => {
    checkMixerReference(action.handler ?? '', 'handler', at.at('handler'));
    if ((action.instances?.length ?? 0) === 0) at.at('instances').error('an action needs at least one instance');
    eachAt(action.instances, at.at('instances'), (inst, iAt) => checkMixerReference(inst, 'instance', iAt));
    const name = action.name;
    if (name === undefined || name === '') return;
    if (!isDNS1123Label(name)) at.at('name').error(`action name ${JSON.stringify(name)} must be a DNS-1123 label`);
    const first = names.get(name);
    if (first !== undefined) at.at('name').error(`action name ${JSON.stringify(name)} is already used by actions[${first}]`);
    else names.set(name, i);
  });
  eachAt(rule.requestHeaderOperations, ctx.at('requestHeaderOperations'), checkHeaderOperation);
  eachAt(rule.responseHeaderOperations, ctx.at('responseHeaderOperations'), checkHeaderOperation);
  const random = rule.sampling?.random;
  if (random?.attributeExpression !== undefined) {
    const err = checkCexl(random.attributeExpression);
    if (err !== undefined) ctx.at('sampling', 'random', 'attributeExpression').error(err);
  }
  const pct = random?.percentSampled;
  if (pct?.numerator !== undefined) {
    const max = pct.denominator === 'TEN_THOUSAND' ? 10000 : 100;
    if (pct.numerator > max) ctx.at('sampling', 'random', 'percentSampled', 'numerator').error(`numerator ${pct.numerator} exceeds the denominator ${max}`);
  }
  checkDuration(rule.sampling?.rateLimit?.samplingDuration, ctx.at('sampling', 'rateLimit', 'samplingDuration'));
}

function checkHeaderOperation(op: MixerHeaderOperation, ctx: Ctx): void {
  if ((op.name ?? '') === '') ctx.at('name').error('header name is required');
  const operation = op.operation ?? 'REPLACE';
  if (operation !== 'REMOVE' && (op.values?.length ?? 0) === 0) ctx.at('values').error(`operation ${operation} needs at least one value`);
}

export function validateMixerHandler(h: MixerHandler, ctx: Ctx): void {
  if ((h.compiledAdapter ?? '') === '' && (h.adapter ?? '') === '') ctx.error('one of compiledAdapter or adapter is required');
  // Out-of-process adapters are reached over gRPC, so they need an address.
  if ((h.adapter ?? '') !== '' && (h.connection?.address ?? '') === '') ctx.at('connection', 'address').error('a handler for an out-of-process adapter needs connection.address');
  checkDuration(h.connection?.timeout, ctx.at('connection', 'timeout'));
}

export function validateMixerInstance(inst: MixerInstance, ctx: Ctx): void {
  if ((inst.compiledTemplate ?? '') === '' && (inst.template ?? '') === '') ctx.error('one of compiledTemplate or template is required');
  for (const [attr, expr] of Object.entries(inst.attributeBindings ?? {})) {
    if (!expr.startsWith('$out.')) ctx.at('attributeBindings').key(attr).error(`binding ${JSON.stringify(expr)} must refer to a template output ($out.<field>)`);
  }
}

export function validateAttributeManifest(m: AttributeManifest, ctx: Ctx): void {
  for (const [name, info] of Object.entries(m.attributes ?? {})) {
    if (info.valueType === undefined || info.valueType === 'VALUE_TYPE_UNSPECIFIED') ctx.at('attributes').key(name).at('valueType').error('valueType is required');
  }
}
