// Which decoder schema and semantic validator handle each kind. An explicit table, built on demand and
// passed in, so callers (Galley, Pilot, weftctl) can add or replace entries without module globals.
import { AuthenticationPolicySchema } from '../schemas/authentication.js';
import { DestinationRuleSchema } from '../schemas/destination-rule.js';
import { GatewaySchema } from '../schemas/gateway.js';
import { AttributeManifestSchema, MixerHandlerSchema, MixerInstanceSchema, MixerRuleSchema } from '../schemas/mixer.js';
import { RbacConfigSchema, ServiceRoleBindingSchema, ServiceRoleSchema } from '../schemas/rbac.js';
import { AuthorizationPolicySchema, PeerAuthenticationSchema, RequestAuthenticationSchema } from '../schemas/security.js';
import { ServiceEntrySchema, SidecarSchema, WorkloadEntrySchema } from '../schemas/service-entry.js';
import { VirtualServiceSchema } from '../schemas/virtual-service.js';
import { validateAuthnPolicy } from './authn-policy.js';
import { validateAuthorizationPolicy } from './authorization-policy.js';
import { validateDestinationRule } from './destination-rule.js';
import { validateGateway } from './gateway.js';
import { validateAttributeManifest, validateMixerHandler, validateMixerInstance, validateMixerRule } from './mixer.js';
import type { SpecValidator } from './object-info.js';
import { validatePeerAuthentication, validateRequestAuthentication } from './peer-authentication.js';
import { validateRbacConfig, validateServiceRole, validateServiceRoleBinding } from './rbac.js';
import type { AnyMessageSchema, MessageSchema } from './schema.js';
import { validateServiceEntry } from './service-entry.js';
import { validateSidecar } from './sidecar.js';
import { validateVirtualService } from './virtual-service.js';
import { validateWorkloadEntry } from './workload-entry.js';

/** How one kind's spec is checked; without a schema the spec is only required to be an object. */
export interface KindValidator {
  readonly schema?: AnyMessageSchema;
  readonly validate?: SpecValidator<Record<string, unknown>>;
}

/** Keyed by `group/kind` (every served version shares the rules). */
export type KindValidators = ReadonlyMap<string, KindValidator>;

function entry<T extends object>(schema: MessageSchema<T>, validate: SpecValidator<T>): KindValidator {
  return { schema: schema as unknown as AnyMessageSchema, validate: validate as unknown as SpecValidator<Record<string, unknown>> };
}

/** The validators for every fully typed kind; kinds missing here but listed in KNOWN_KINDS are opaque. */
export function defaultKindValidators(): KindValidators {
  const net = 'networking.istio.io';
  const sec = 'security.istio.io';
  const mixer = 'config.istio.io';
  return new Map<string, KindValidator>([
    [`${net}/VirtualService`, entry(VirtualServiceSchema, validateVirtualService)],
    [`${net}/DestinationRule`, entry(DestinationRuleSchema, validateDestinationRule)],
    [`${net}/Gateway`, entry(GatewaySchema, validateGateway)],
    [`${net}/ServiceEntry`, entry(ServiceEntrySchema, validateServiceEntry)],
    [`${net}/Sidecar`, entry(SidecarSchema, validateSidecar)],
    [`${net}/WorkloadEntry`, entry(WorkloadEntrySchema, validateWorkloadEntry)],
    [`${sec}/PeerAuthentication`, entry(PeerAuthenticationSchema, validatePeerAuthentication)],
    [`${sec}/RequestAuthentication`, entry(RequestAuthenticationSchema, validateRequestAuthentication)],
    [`${sec}/AuthorizationPolicy`, entry(AuthorizationPolicySchema, validateAuthorizationPolicy)],
    ['authentication.istio.io/Policy', entry(AuthenticationPolicySchema, validateAuthnPolicy)],
    ['authentication.istio.io/MeshPolicy', entry(AuthenticationPolicySchema, validateAuthnPolicy)],
    ['rbac.istio.io/ClusterRbacConfig', entry(RbacConfigSchema, validateRbacConfig)],
    ['rbac.istio.io/RbacConfig', entry(RbacConfigSchema, validateRbacConfig)],
    ['rbac.istio.io/ServiceRole', entry(ServiceRoleSchema, validateServiceRole)],
    ['rbac.istio.io/ServiceRoleBinding', entry(ServiceRoleBindingSchema, validateServiceRoleBinding)],
    [`${mixer}/rule`, entry(MixerRuleSchema, validateMixerRule)],
    [`${mixer}/handler`, entry(MixerHandlerSchema, validateMixerHandler)],
    [`${mixer}/instance`, entry(MixerInstanceSchema, validateMixerInstance)],
    [`${mixer}/attributemanifest`, entry(AttributeManifestSchema, validateAttributeManifest)],
  ]);
}
