// Original file: packages/api/proto/mcp/v1alpha1/mcp.proto

import type { SinkNode as _istio_mcp_v1alpha1_SinkNode, SinkNode__Output as _istio_mcp_v1alpha1_SinkNode__Output } from '../../../istio/mcp/v1alpha1/SinkNode.js';
import type { Status as _google_rpc_Status, Status__Output as _google_rpc_Status__Output } from '../../../google/rpc/Status.js';

export interface IncrementalMeshConfigRequest {
  'sink_node'?: (_istio_mcp_v1alpha1_SinkNode | null);
  'type_url'?: (string);
  'initial_resource_versions'?: ({[key: string]: string});
  'response_nonce'?: (string);
  'error_detail'?: (_google_rpc_Status | null);
}

export interface IncrementalMeshConfigRequest__Output {
  'sink_node': (_istio_mcp_v1alpha1_SinkNode__Output | null);
  'type_url': (string);
  'initial_resource_versions': ({[key: string]: string});
  'response_nonce': (string);
  'error_detail': (_google_rpc_Status__Output | null);
}
