// Original file: packages/api/proto/mcp/v1alpha1/mcp.proto

import type { MethodDefinition } from '@grpc/proto-loader'
import type { IncrementalMeshConfigRequest as _istio_mcp_v1alpha1_IncrementalMeshConfigRequest, IncrementalMeshConfigRequest__Output as _istio_mcp_v1alpha1_IncrementalMeshConfigRequest__Output } from '../../../istio/mcp/v1alpha1/IncrementalMeshConfigRequest.js';
import type { IncrementalMeshConfigResponse as _istio_mcp_v1alpha1_IncrementalMeshConfigResponse, IncrementalMeshConfigResponse__Output as _istio_mcp_v1alpha1_IncrementalMeshConfigResponse__Output } from '../../../istio/mcp/v1alpha1/IncrementalMeshConfigResponse.js';
import type { MeshConfigRequest as _istio_mcp_v1alpha1_MeshConfigRequest, MeshConfigRequest__Output as _istio_mcp_v1alpha1_MeshConfigRequest__Output } from '../../../istio/mcp/v1alpha1/MeshConfigRequest.js';
import type { MeshConfigResponse as _istio_mcp_v1alpha1_MeshConfigResponse, MeshConfigResponse__Output as _istio_mcp_v1alpha1_MeshConfigResponse__Output } from '../../../istio/mcp/v1alpha1/MeshConfigResponse.js';

export interface AggregatedMeshConfigServiceDefinition {
  IncrementalAggregatedResources: MethodDefinition<_istio_mcp_v1alpha1_IncrementalMeshConfigRequest, _istio_mcp_v1alpha1_IncrementalMeshConfigResponse, _istio_mcp_v1alpha1_IncrementalMeshConfigRequest__Output, _istio_mcp_v1alpha1_IncrementalMeshConfigResponse__Output>
  StreamAggregatedResources: MethodDefinition<_istio_mcp_v1alpha1_MeshConfigRequest, _istio_mcp_v1alpha1_MeshConfigResponse, _istio_mcp_v1alpha1_MeshConfigRequest__Output, _istio_mcp_v1alpha1_MeshConfigResponse__Output>
}
