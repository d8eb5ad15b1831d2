// rbac.istio.io/v1alpha1: the ClusterRbacConfig switch, ServiceRole rules and ServiceRoleBinding subjects.
import type { AccessRule, RbacConfig, RbacSubject, ServiceRole, ServiceRoleBinding } from '../types/rbac.js';
import { type Ctx, eachAt } from './context.js';
import type { ObjectInfo } from './object-info.js';
import { checkPortNumber } from './ports.js';

export function validateRbacConfig(cfg: RbacConfig, ctx: Ctx, info: ObjectInfo): void {
  // The switch is a singleton; Pilot only reads the object named "default".
  if (info.name !== 'default') info.meta.at('name').error(`${info.kind} must be named "default", found ${JSON.stringify(info.name)}`);
  if (cfg.mode === 'ON_WITH_INCLUSION' && cfg.inclusion === undefined) ctx.at('inclusion').error("mode ON_WITH_INCLUSION requires inclusion (use 'inclusion: {}' for none)");
  if (cfg.mode === 'ON_WITH_EXCLUSION' && cfg.exclusion === undefined) ctx.at('exclusion').error("mode ON_WITH_EXCLUSION requires exclusion (use 'exclusion: {}' for none)");
}

const CONSTRAINT_KEYS = ['destination.ip', 'destination.port', 'destination.name', 'destination.namespace', 'destination.user'];
const PROPERTY_KEYS = [
  'source.ip', 'source.namespace', 'source.principal', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter',
];

function knownKey(key: string, exact: readonly string[], bracketed: readonly string[]): boolean {
  return exact.includes(key) || key.startsWith('experimental.envoy.filters.') || bracketed.some((b) => key.startsWith(`${b}[`) && key.endsWith(']'));
}

export function validateServiceRole(role: ServiceRole, ctx: Ctx): void {
  if ((role.rules?.length ?? 0) === 0) ctx.at('rules').error('at least one rule is required');
  eachAt(role.rules, ctx.at('rules'), checkAccessRule);
}

function checkAccessRule(rule: AccessRule, ctx: Ctx): void {
  if ((rule.services?.length ?? 0) === 0) ctx.at('services').error('at least one service is required (use "*" for all)');
  for (const [a, b] of [['methods', 'notMethods'], ['ports', 'notPorts'], ['paths', 'notPaths'], ['hosts', 'notHosts']] as const) {
    if ((rule[a]?.length ?? 0) > 0 && (rule[b]?.length ?? 0) > 0) ctx.at(b).error(`${a} and ${b} cannot both be set`);
  }
  eachAt(rule.ports, ctx.at('ports'), (p, at) => checkPortNumber(p, at));
  eachAt(rule.notPorts, ctx.at('notPorts'), (p, at) => checkPortNumber(p, at));
  eachAt(rule.constraints, ctx.at('constraints'), (c, at) => {
    const key = c.key ?? '';
    if (key === '') at.at('key').error('key is required');
    else if (!knownKey(key, CONSTRAINT_KEYS, ['destination.labels', 'request.headers'])) at.at('key').warn(`unknown constraint key ${JSON.stringify(key)}`);
    if ((c.values?.length ?? 0) === 0) at.at('values').error('at least one value is required');
    if (key === 'destination.port' && ((rule.ports?.length ?? 0) > 0 || (rule.notPorts?.length ?? 0) > 0)) {
      at.at('key').error('destination.port cannot be constrained when ports or notPorts is set');
    }
  });
}

// Properties that duplicate a first-class subject field would be ANDed ambiguously, so Istio rejects them.
const FIRST_CLASS: Readonly<Record<string, keyof RbacSubject>> = {
  'source.principal': 'names',
  'request.auth.claims[groups]': 'groups',
  'source.namespace': 'namespaces',
  'source.ip': 'ips',
};

function checkSubject(s: RbacSubject, ctx: Ctx): void {
  if (Object.values(s).every((v) => v === undefined || v === '' || (typeof v === 'object' && Object.keys(v).length === 0))) {
    ctx.error('a subject must set at least one field');
  }
  for (const [key] of Object.entries(s.properties ?? {})) {
    const at = ctx.at('properties').key(key);
    const field = FIRST_CLASS[key];
    const value = field !== undefined ? s[field] : undefined;
    if (Array.isArray(value) && value.length > 0) at.error(`${key} duplicates the ${field} field`);
    if (!knownKey(key, PROPERTY_KEYS, ['request.headers', 'request.auth.claims'])) at.warn(`unknown property key ${JSON.stringify(key)}`);
  }
  for (const field of ['names', 'notNames'] as const) {
    eachAt(s[field], ctx.at(field), (n, at) => {
      if (n === '*') at.error(`"*" is not allowed in ${field}; use user: "*" for anyone`);
    });
  }
}

export function validateServiceRoleBinding(b: ServiceRoleBinding, ctx: Ctx): void {
  if ((b.subjects?.length ?? 0) === 0) ctx.at('subjects').error('at least one subject is required');
  eachAt(b.subjects, ctx.at('subjects'), checkSubject);
  const refs = [b.roleRef !== undefined, (b.actions?.length ?? 0) > 0, (b.role ?? '') !== ''].filter(Boolean).length;
  if (refs !== 1) ctx.error('exactly one of roleRef, role or actions is required');
  if (b.roleRef !== undefined) {
    if (b.roleRef.kind !== 'ServiceRole') ctx.at('roleRef', 'kind').error(`kind must be "ServiceRole", found ${JSON.stringify(b.roleRef.kind ?? '')}`);
    if ((b.roleRef.name ?? '') === '') ctx.at('roleRef', 'name').error('name is required');
  }
  eachAt(b.actions, ctx.at('actions'), checkAccessRule);
  if (b.role === '/') ctx.at('role').error('role must name a ServiceRole after "/"');
}
