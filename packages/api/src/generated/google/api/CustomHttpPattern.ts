// Original file: node_modules/@grpc/grpc-js-xds/deps/googleapis/google/api/http.proto


export interface CustomHttpPattern {
  'kind'?: (string);
  'path'?: (string);
}

export interface CustomHttpPattern__Output {
  'kind': (string);
  'path': (string);
}
