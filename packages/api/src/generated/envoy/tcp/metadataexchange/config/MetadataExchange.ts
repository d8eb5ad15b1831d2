// Original file: packages/api/proto/istio-proxy/network/metadata_exchange/config.proto


export interface MetadataExchange {
  'protocol'?: (string);
  'enable_discovery'?: (boolean);
  'additional_labels'?: (string)[];
}

export interface MetadataExchange__Output {
  'protocol': (string);
  'enable_discovery': (boolean);
  'additional_labels': (string)[];
}
