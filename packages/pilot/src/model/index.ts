// The model layer: data and indexes only, no I/O.
export { portProtocol, isHttp, isHttp2, isTcp, type Protocol } from './protocol.js';
export { findPort, labelsMatch, type Service, type ServicePort, type Resolution, type Endpoint, type ServiceInstance } from './service.js';
export { parseProxy, type Proxy, type NodeType, type NodeInput } from './proxy.js';
export { MeshSnapshot, EMPTY_CONFIG_SET, type Config, type ConfigSet, type MeshSnapshotInput } from './mesh-snapshot.js';
