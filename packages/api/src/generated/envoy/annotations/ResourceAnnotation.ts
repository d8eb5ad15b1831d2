// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/annotations/resource.proto


export interface ResourceAnnotation {
  'type'?: (string);
}

export interface ResourceAnnotation__Output {
  'type': (string);
}
