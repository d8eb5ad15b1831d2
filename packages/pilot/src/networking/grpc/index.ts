// Proxyless gRPC generators (node metadata GENERATOR: grpc).
export { grpcLdsGenerator, grpcListeners, grpcHostAliases } from './grpc-listeners.js';
export { grpcRdsGenerator } from './grpc-routes.js';
