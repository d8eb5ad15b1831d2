// Public API of @weft/api: named exports only.
export { TypeUrl, TYPE_SHORT_NAMES, ADS_PUSH_ORDER, ADS_SERVICE, SDS_SERVICE } from './xds/type-urls.js';
export {
  ProtoRegistry,
  loadProtoRegistry,
  loadProtoRoot,
  DECODE_OPTIONS,
  TYPE_URL_PREFIX,
  type AnyMessage,
} from './proto/registry.js';
export { grpcServiceDefinition } from './proto/grpc-service.js';
export { ALL_PROTO_FILES, ENVOY_PROTO_FILES, ISTIO_PROTO_FILES, PROTO_INCLUDE_DIRS, ISTIO_PROTO_DIR } from './proto/files.js';
export { readProto3Json, writeProto3Json, type JsonIssue, type JsonValue } from './proto/proto-json.js';
export * from './messages.js';
export * from './mixer/index.js';
export * from './mcp/index.js';
export * from './ca/index.js';
export * from './config/index.js';
