// A Resource: one named xDS resource, packed into an Any once and shared by every stream that sends it.
import { createHash } from 'node:crypto';
import { TypeUrl, type AnyMessage, type ProtoRegistry } from '@weft/api';
import { XdsErrors } from './errors.js';
import { clusterReferences, listenerReferences, type ResourceReferences } from './references.js';

export interface Resource {
  readonly name: string;
  readonly typeUrl: string;
  /** Per-resource version (Delta xDS); a hash of the encoded bytes unless the caller gave one. */
  readonly version: string;
  /** The Any sent on the wire; `value` is encoded once, here, and never again. */
  readonly packed: AnyMessage;
  /** RDS/EDS names this resource needs (listeners, clusters); absent when not inspected. */
  readonly references?: ResourceReferences;
}

export interface ResourceOptions {
  /** Defaults to the object's `name` (`cluster_name` for ClusterLoadAssignment). */
  name?: string;
  /** Defaults to a hash of the encoded bytes, so equal content gives equal versions. */
  version?: string;
}

/** The name field of a resource object: `cluster_name` for ClusterLoadAssignment, `name` otherwise. */
export function resourceName(typeUrl: string, object: object): string | undefined {
  const field = typeUrl === TypeUrl.ClusterLoadAssignment ? 'cluster_name' : 'name';
  const value = (object as Record<string, unknown>)[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A short content hash used as a per-resource version. */
export function contentVersion(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 16);
}

function inspectReferences(registry: ProtoRegistry, typeUrl: string, bytes: Uint8Array): ResourceReferences | undefined {
  // Decode the encoded bytes rather than reading the caller's object: enums, Anys and defaults are
  // then in one canonical form whatever shape the caller used.
  if (typeUrl === TypeUrl.Listener) return listenerReferences(registry, registry.decode(typeUrl, bytes));
  if (typeUrl === TypeUrl.Cluster) return clusterReferences(registry.decode(typeUrl, bytes));
  return undefined;
}

/** Encodes a resource object (proto field names) once and wraps it as a Resource. */
export function makeResource(registry: ProtoRegistry, typeUrl: string, object: object, options: ResourceOptions = {}): Resource {
  if (!registry.has(typeUrl)) throw XdsErrors.UNKNOWN_TYPE([typeUrl]);
  const name = options.name ?? resourceName(typeUrl, object);
  if (name === undefined) throw XdsErrors.RESOURCE_NAME_MISSING([typeUrl]);
  const packed = registry.pack(registry.type(typeUrl).fullName.replace(/^\./, ''), object);
  const references = inspectReferences(registry, typeUrl, packed.value);
  return {
    name,
    typeUrl,
    version: options.version ?? contentVersion(packed.value),
    packed,
    ...(references ? { references } : {}),
  };
}

/**
 * Wraps an already packed Any. With a registry, listeners and clusters are inspected for references;
 * without one the consistency check reports them as not inspected.
 */
export function resourceFromAny(
  packed: AnyMessage,
  options: ResourceOptions & { name: string; registry?: ProtoRegistry },
): Resource {
  const references = options.registry ? inspectReferences(options.registry, packed.type_url, packed.value) : undefined;
  return {
    name: options.name,
    typeUrl: packed.type_url,
    version: options.version ?? contentVersion(packed.value),
    packed,
    ...(references ? { references } : {}),
  };
}
