// Original file: packages/api/proto/mcp/v1alpha1/mcp.proto

import type { MethodDefinition } from '@grpc/proto-loader'
import type { RequestResources as _istio_mcp_v1alpha1_RequestResources, RequestResources__Output as _istio_mcp_v1alpha1_RequestResources__Output } from '../../../istio/mcp/v1alpha1/RequestResources.js';
import type { Resources as _istio_mcp_v1alpha1_Resources, Resources__Output as _istio_mcp_v1alpha1_Resources__Output } from '../../../istio/mcp/v1alpha1/Resources.js';

export interface ResourceSourceDefinition {
  EstablishResourceStream: MethodDefinition<_istio_mcp_v1alpha1_RequestResources, _istio_mcp_v1alpha1_Resources, _istio_mcp_v1alpha1_RequestResources__Output, _istio_mcp_v1alpha1_Resources__Output>
}
