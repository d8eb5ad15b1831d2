// Fast encoders for DiscoveryResponse and DeltaDiscoveryResponse. Each Resource's Any (and Delta
// Resource wrapper) is encoded once and memoised, so a push to N streams does not re-encode anything.
// Field numbers: envoy/service/discovery/v3/discovery.proto.
import type { Resource } from './resource.js';
import { ProtoWriter } from './proto-writer.js';
import type { SharedEncoding } from './shared-responses.js';

/** What the SotW stream writes; serialised by encodeDiscoveryResponse. */
export interface WireDiscoveryResponse {
  readonly version_info: string;
  readonly resources: readonly Resource[];
  readonly type_url: string;
  readonly nonce: string;
  readonly control_plane?: { readonly identifier: string };
  /** The encoding other streams share for the same content (and nonce), when there is one. */
  readonly shared?: SharedEncoding;
}

/** What the Delta stream writes; serialised by encodeDeltaDiscoveryResponse. */
export interface WireDeltaDiscoveryResponse {
  readonly system_version_info: string;
  readonly resources: readonly Resource[];
  readonly type_url: string;
  readonly removed_resources: readonly string[];
  readonly nonce: string;
  readonly control_plane?: { readonly identifier: string };
  /** The encoding other streams share for the same content (and nonce), when there is one. */
  readonly shared?: SharedEncoding;
}

const anyBytes = new WeakMap<Resource, Buffer>();
const deltaResourceBytes = new WeakMap<Resource, Buffer>();

/** google.protobuf.Any {type_url = 1, value = 2}. */
export function encodedAny(resource: Resource): Buffer {
  let bytes = anyBytes.get(resource);
  if (!bytes) {
    bytes = new ProtoWriter().string(1, resource.packed.type_url).bytes(2, resource.packed.value).finish();
    anyBytes.set(resource, bytes);
  }
  return bytes;
}

/** envoy.service.discovery.v3.Resource {version = 1, resource = 2, name = 3}. */
function encodedDeltaResource(resource: Resource): Buffer {
  let bytes = deltaResourceBytes.get(resource);
  if (!bytes) {
    bytes = new ProtoWriter().string(1, resource.version).bytes(2, encodedAny(resource)).string(3, resource.name).finish();
    deltaResourceBytes.set(resource, bytes);
  }
  return bytes;
}

function controlPlane(identifier: string): Buffer {
  return new ProtoWriter().string(1, identifier).finish();
}

/** DiscoveryResponse {version_info = 1, resources = 2, type_url = 4, nonce = 5, control_plane = 6}. */
export function encodeDiscoveryResponse(response: WireDiscoveryResponse): Buffer {
  const w = new ProtoWriter().string(1, response.version_info);
  for (const r of response.resources) w.bytes(2, encodedAny(r));
  w.string(4, response.type_url).string(5, response.nonce);
  if (response.control_plane) w.bytes(6, controlPlane(response.control_plane.identifier));
  return w.finish();
}

/**
 * DeltaDiscoveryResponse {system_version_info = 1, resources = 2, type_url = 4, nonce = 5,
 * removed_resources = 6, control_plane = 7}.
 */
export function encodeDeltaDiscoveryResponse(response: WireDeltaDiscoveryResponse): Buffer {
  const w = new ProtoWriter().string(1, response.system_version_info);
  for (const r of response.resources) w.bytes(2, encodedDeltaResource(r));
  w.string(4, response.type_url).string(5, response.nonce);
  for (const name of response.removed_resources) w.bytes(6, Buffer.from(name, 'utf8'));
  if (response.control_plane) w.bytes(7, controlPlane(response.control_plane.identifier));
  return w.finish();
}
