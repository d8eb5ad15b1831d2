// Public API of @weft/xds: named exports only.
export { XdsErrors } from './errors.js';
export { makeResource, resourceFromAny, resourceName, contentVersion, type Resource, type ResourceOptions } from './resource.js';
export { listenerReferences, clusterReferences, type ResourceReferences } from './references.js';
export { Snapshot, SnapshotPool, type SnapshotInit, type ConsistencyReport } from './snapshot.js';
export { WILDCARD, WILDCARD_TYPES, isInterested, sotwSubscription, deltaSubscription, type Subscription } from './subscription.js';
export type {
  ConfigWatcher,
  DeltaConfigWatcher,
  WatchRequest,
  SotwWatchState,
  SotwResponse,
  DeltaWatchState,
  DeltaResponse,
  CancelWatch,
} from './config-watcher.js';
export { sotwAnswer, deltaAnswer, applyDelta, selectResources, PARTIAL_SOTW_TYPES } from './answer.js';
export { SnapshotCache, nodeIdGroup, type NodeGroup, type SnapshotCacheOptions } from './snapshot-cache.js';
export { LinearCache, type LinearCacheOptions } from './linear-cache.js';
export { MuxCache, type MuxCacheOptions, type AnyWatcher } from './mux-cache.js';
export { pushRank, inPushOrder } from './push-order.js';
export {
  TypeSync,
  ResourceAcks,
  MAX_UNRESOLVED,
  type TypeSyncStatus,
  type NackRecord,
  type ErrorDetail,
  type RequestKind,
  type ResourceStatus,
  type ResourceSyncState,
  type TypeResourceStatus,
} from './sync-status.js';
export type {
  XdsCallbacks,
  XdsProtocol,
  StreamInfo,
  RequestEvent,
  ResponseEvent,
  AckEvent,
  NackEvent,
} from './callbacks.js';
export type { StreamStatus } from './stream-base.js';
export {
  encodeDiscoveryResponse,
  encodeDeltaDiscoveryResponse,
  type WireDiscoveryResponse,
  type WireDeltaDiscoveryResponse,
} from './wire-codec.js';
export { createXdsServer, type XdsServer, type XdsServerOptions } from './xds-server.js';
export {
  Http2AdsTransport,
  GrpcStatus,
  DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  encodeGrpcMessage,
  parseGrpcTimeout,
  type Http2TransportOptions,
} from './grpc-transport.js';
export { adsMethod, type AdsMethodName } from './ads-service.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { AdsClient, type AdsClientOptions } from './ads-client.js';
export type { SubscribedNames } from './client-subscription.js';
export {
  accept,
  reject,
  type Verdict,
  type ResourceHandler,
  type ResourceUpdate,
  type DecodedResource,
  type AdsClientEvents,
  type ClientAckEvent,
  type ClientNackEvent,
} from './client-types.js';
