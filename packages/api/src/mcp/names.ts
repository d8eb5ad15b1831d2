// Fully qualified protobuf names of the Mesh Configuration Protocol (package istio.mcp.v1alpha1).

/** Pilot (sink) dials Galley (source): /istio.mcp.v1alpha1.ResourceSource/EstablishResourceStream. */
export const MCP_RESOURCE_SOURCE_SERVICE = 'istio.mcp.v1alpha1.ResourceSource';
/** Galley (source) dials the sink: /istio.mcp.v1alpha1.ResourceSink/EstablishResourceStream. */
export const MCP_RESOURCE_SINK_SERVICE = 'istio.mcp.v1alpha1.ResourceSink';
/** The Istio 1.0-era aggregated service, still served by 1.1 Galley. */
export const MCP_AGGREGATED_SERVICE = 'istio.mcp.v1alpha1.AggregatedMeshConfigService';

/** Message type names, for the proto registry. */
export const McpMessage = {
  SinkNode: 'istio.mcp.v1alpha1.SinkNode',
  Metadata: 'istio.mcp.v1alpha1.Metadata',
  Resource: 'istio.mcp.v1alpha1.Resource',
  Resources: 'istio.mcp.v1alpha1.Resources',
  RequestResources: 'istio.mcp.v1alpha1.RequestResources',
  MeshConfigRequest: 'istio.mcp.v1alpha1.MeshConfigRequest',
  MeshConfigResponse: 'istio.mcp.v1alpha1.MeshConfigResponse',
  IncrementalMeshConfigRequest: 'istio.mcp.v1alpha1.IncrementalMeshConfigRequest',
  IncrementalMeshConfigResponse: 'istio.mcp.v1alpha1.IncrementalMeshConfigResponse',
} as const;
