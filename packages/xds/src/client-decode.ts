// Turns received DiscoveryResponse / DeltaDiscoveryResponse messages into decoded ResourceUpdates.
// A resource that cannot be decoded makes the whole response a NACK (the error is a value).
import type { DeltaDiscoveryResponse__Output, DiscoveryResponse__Output, ProtoRegistry } from '@weft/api';
import { err, ok, type Result, type WeftError } from '@weft/base';
import type { ClientSubscription } from './client-subscription.js';
import type { DecodedResource, ResourceUpdate } from './client-types.js';
import { XdsErrors } from './errors.js';
import { resourceName } from './resource.js';

function decodeOne(
  registry: ProtoRegistry,
  typeUrl: string,
  any: { type_url: string; value: Uint8Array },
  index: number,
): Result<Record<string, unknown>, WeftError> {
  if (any.type_url !== typeUrl) return err(XdsErrors.DECODE_FAILED([typeUrl, `resources[${index}] has type ${any.type_url}`]));
  try {
    return ok(registry.unpack(any));
  } catch (e) {
    return err(XdsErrors.DECODE_FAILED([typeUrl, `resources[${index}]: ${(e as Error).message}`], e));
  }
}

export function decodeSotw(
  registry: ProtoRegistry,
  sub: ClientSubscription,
  response: DiscoveryResponse__Output,
): Result<ResourceUpdate, WeftError> {
  const typeUrl = response.type_url;
  const resources: DecodedResource[] = [];
  for (const [i, any] of response.resources.entries()) {
    const decoded = decodeOne(registry, typeUrl, any, i);
    if (!decoded.ok) return decoded;
    const name = resourceName(typeUrl, decoded.value);
    if (name === undefined) return err(XdsErrors.DECODE_FAILED([typeUrl, `resources[${i}] has no name`]));
    resources.push({ name, version: response.version_info, value: decoded.value });
  }
  return ok({
    typeUrl,
    protocol: 'sotw',
    version: response.version_info,
    nonce: response.nonce,
    resources,
    removed: sub.sotwRemoved(resources),
  });
}

export function decodeDelta(registry: ProtoRegistry, response: DeltaDiscoveryResponse__Output): Result<ResourceUpdate, WeftError> {
  const typeUrl = response.type_url;
  const resources: DecodedResource[] = [];
  const removed = [...response.removed_resources];
  for (const [i, r] of response.resources.entries()) {
    // A Resource without a body tells the client that a subscribed name does not exist.
    if (!r.resource) {
      removed.push(r.name);
      continue;
    }
    const decoded = decodeOne(registry, typeUrl, r.resource, i);
    if (!decoded.ok) return decoded;
    const name = r.name || resourceName(typeUrl, decoded.value);
    if (!name) return err(XdsErrors.DECODE_FAILED([typeUrl, `resources[${i}] has no name`]));
    resources.push({ name, version: r.version, value: decoded.value });
  }
  return ok({ typeUrl, protocol: 'delta', version: response.system_version_info, nonce: response.nonce, resources, removed });
}
