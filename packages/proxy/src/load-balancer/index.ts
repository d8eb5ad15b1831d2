// Public API of the proxy's load balancing: named exports only.
export {
  DEFAULT_OVERPROVISIONING_FACTOR,
  SimpleHost,
  groupByLocality,
  hostAddressString,
  isDegraded,
  isHealthy,
  localityKey,
  prioritySetFromHosts,
  type Host,
  type HostSet,
  type Locality,
  type PrioritySet,
  type PrioritySetOptions,
} from './host.js';
export {
  DEFAULT_PANIC_THRESHOLD,
  RetryingLoadBalancer,
  randomIndex,
  type CommonLbOptions,
  type LbContext,
  type LoadBalancer,
} from './load-balancer.js';
export { EdfScheduler } from './edf-scheduler.js';
export {
  HostSourceSelector,
  choosePriority,
  choosePriorityAndAvailability,
  computePriorityLoad,
  effectiveLocalityWeight,
  type HostSource,
  type PriorityLoad,
} from './priority.js';
export { RoundRobinLoadBalancer } from './round-robin.js';
export { LeastRequestLoadBalancer, DEFAULT_CHOICE_COUNT, type LeastRequestOptions } from './least-request.js';
export { RandomLoadBalancer } from './random.js';
export { normalizeWeights, type NormalizedWeights, type WeightedHost } from './hashing-load-balancer.js';
export { Ring, RingHashLoadBalancer, DEFAULT_MAX_RING_SIZE, DEFAULT_MIN_RING_SIZE, type RingHashOptions } from './ring-hash.js';
export { MaglevLoadBalancer, MaglevTable, DEFAULT_MAGLEV_TABLE_SIZE, MAX_MAGLEV_TABLE_SIZE, isPrime, type MaglevOptions } from './maglev.js';
export {
  LoadBalancerRegistry,
  defaultLoadBalancers,
  policyName,
  type LbClusterConfig,
  type LbFactoryOptions,
  type LoadBalancerFactory,
} from './registry.js';
export {
  HashPolicy,
  formatSetCookie,
  type GeneratedCookie,
  type HashInput,
  type HashPolicyConfig,
  type RequestHash,
} from './hash-policy.js';
export { xxHash64, xxHash64Into, xxHash64Parts, toU64, mod64, hex64, type U64 } from './xxhash64.js';
export { mulberry32 } from './mulberry32.js';
