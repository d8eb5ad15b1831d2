// Original file: packages/api/proto/mcp/v1alpha1/resource.proto

import type { Metadata as _istio_mcp_v1alpha1_Metadata, Metadata__Output as _istio_mcp_v1alpha1_Metadata__Output } from '../../../istio/mcp/v1alpha1/Metadata.js';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.js';

export interface Resource {
  'metadata'?: (_istio_mcp_v1alpha1_Metadata | null);
  'body'?: (_google_protobuf_Any | null);
}

export interface Resource__Output {
  'metadata': (_istio_mcp_v1alpha1_Metadata__Output | null);
  'body': (_google_protobuf_Any__Output | null);
}
