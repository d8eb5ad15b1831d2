// Converts an xDS Node (decoded, proto field names) into the plain input parseProxy takes.
import type { Node__Output, ProtoRegistry } from '@weft/api';
import type { NodeInput } from './proxy.js';

export function nodeInput(registry: ProtoRegistry, node: Node__Output): NodeInput {
  const metadata = node.metadata ? registry.toJson('google.protobuf.Struct', node.metadata) : {};
  return {
    id: node.id,
    cluster: node.cluster,
    metadata: typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? metadata : {},
    locality: node.locality ?? null,
  };
}
