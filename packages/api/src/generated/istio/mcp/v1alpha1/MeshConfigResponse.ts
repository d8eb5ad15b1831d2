// Original file: packages/api/proto/mcp/v1alpha1/mcp.proto

import type { Resource as _istio_mcp_v1alpha1_Resource, Resource__Output as _istio_mcp_v1alpha1_Resource__Output } from '../../../istio/mcp/v1alpha1/Resource.js';

export interface MeshConfigResponse {
  'version_info'?: (string);
  'resources'?: (_istio_mcp_v1alpha1_Resource)[];
  'type_url'?: (string);
  'nonce'?: (string);
}

export interface MeshConfigResponse__Output {
  'version_info': (string);
  'resources': (_istio_mcp_v1alpha1_Resource__Output)[];
  'type_url': (string);
  'nonce': (string);
}
