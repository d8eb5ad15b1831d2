// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/config/route/v3/route_components.proto


export interface NonForwardingAction {
}

export interface NonForwardingAction__Output {
}
