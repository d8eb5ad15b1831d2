// Original file: packages/api/proto/istio-proxy/http/peer_metadata/config.proto


export interface _io_istio_http_peer_metadata_Config_Baggage {
}

export interface _io_istio_http_peer_metadata_Config_Baggage__Output {
}

export interface _io_istio_http_peer_metadata_Config_DiscoveryMethod {
  'baggage'?: (_io_istio_http_peer_metadata_Config_Baggage | null);
  'workload_discovery'?: (_io_istio_http_peer_metadata_Config_WorkloadDiscovery | null);
  'istio_headers'?: (_io_istio_http_peer_metadata_Config_IstioHeaders | null);
  'method_specifier'?: "baggage"|"workload_discovery"|"istio_headers";
}

export interface _io_istio_http_peer_metadata_Config_DiscoveryMethod__Output {
  'baggage'?: (_io_istio_http_peer_metadata_Config_Baggage__Output | null);
  'workload_discovery'?: (_io_istio_http_peer_metadata_Config_WorkloadDiscovery__Output | null);
  'istio_headers'?: (_io_istio_http_peer_metadata_Config_IstioHeaders__Output | null);
  'method_specifier'?: "baggage"|"workload_discovery"|"istio_headers";
}

export interface _io_istio_http_peer_metadata_Config_IstioHeaders {
  'skip_external_clusters'?: (boolean);
}

export interface _io_istio_http_peer_metadata_Config_IstioHeaders__Output {
  'skip_external_clusters': (boolean);
}

export interface _io_istio_http_peer_metadata_Config_PropagationMethod {
  'istio_headers'?: (_io_istio_http_peer_metadata_Config_IstioHeaders | null);
  'method_specifier'?: "istio_headers";
}

export interface _io_istio_http_peer_metadata_Config_PropagationMethod__Output {
  'istio_headers'?: (_io_istio_http_peer_metadata_Config_IstioHeaders__Output | null);
  'method_specifier'?: "istio_headers";
}

export interface _io_istio_http_peer_metadata_Config_WorkloadDiscovery {
}

export interface _io_istio_http_peer_metadata_Config_WorkloadDiscovery__Output {
}

export interface Config {
  'downstream_discovery'?: (_io_istio_http_peer_metadata_Config_DiscoveryMethod)[];
  'upstream_discovery'?: (_io_istio_http_peer_metadata_Config_DiscoveryMethod)[];
  'downstream_propagation'?: (_io_istio_http_peer_metadata_Config_PropagationMethod)[];
  'upstream_propagation'?: (_io_istio_http_peer_metadata_Config_PropagationMethod)[];
  'shared_with_upstream'?: (boolean);
  'additional_labels'?: (string)[];
}

export interface Config__Output {
  'downstream_discovery': (_io_istio_http_peer_metadata_Config_DiscoveryMethod__Output)[];
  'upstream_discovery': (_io_istio_http_peer_metadata_Config_DiscoveryMethod__Output)[];
  'downstream_propagation': (_io_istio_http_peer_metadata_Config_PropagationMethod__Output)[];
  'upstream_propagation': (_io_istio_http_peer_metadata_Config_PropagationMethod__Output)[];
  'shared_with_upstream': (boolean);
  'additional_labels': (string)[];
}
