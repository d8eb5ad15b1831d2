// The lb_policy registry: Envoy's Cluster.lb_policy names mapped to factories that validate the
// cluster's decoded LB settings and build a balancer. An object passed in, never a module global
// (STYLE habit 5); defaultLoadBalancers() is the one visible list of built-in policies.
import { IssueCollector, type ValidationResult } from '@weft/base';
import { LeastRequestLoadBalancer, DEFAULT_CHOICE_COUNT } from './least-request.js';
import type { LoadBalancer } from './load-balancer.js';
import { DEFAULT_MAGLEV_TABLE_SIZE, MAX_MAGLEV_TABLE_SIZE, MaglevLoadBalancer, isPrime } from './maglev.js';
import { RandomLoadBalancer } from './random.js';
import { DEFAULT_MAX_RING_SIZE, DEFAULT_MIN_RING_SIZE, RingHashLoadBalancer } from './ring-hash.js';
import { RoundRobinLoadBalancer } from './round-robin.js';

/** A decoded wrapper (UInt64Value, UInt32Value, Percent): `{ value }`, value a number or decimal string. */
type Wrapped = { readonly value?: unknown } | null | undefined;

/**
 * The Cluster fields the balancers read, in the decoded (proto-loader) form; a decoded
 * envoy.config.cluster.v3.Cluster is assignable to it.
 */
export interface LbClusterConfig {
  readonly lb_policy?: string | number;
  readonly ring_hash_lb_config?: {
    readonly minimum_ring_size?: Wrapped;
    readonly maximum_ring_size?: Wrapped;
    readonly hash_function?: string | number;
  } | null;
  readonly least_request_lb_config?: { readonly choice_count?: Wrapped } | null;
  readonly maglev_lb_config?: { readonly table_size?: Wrapped } | null;
  readonly common_lb_config?: { readonly healthy_panic_threshold?: Wrapped } | null;
}

/** Inputs that are not cluster config. */
export interface LbFactoryOptions {
  /** Round-robin / EDF start offset; pass a random value per balancer (see CommonLbOptions.seed). */
  readonly seed?: number;
}

export type LoadBalancerFactory = (config: LbClusterConfig, options: LbFactoryOptions) => ValidationResult<LoadBalancer>;

/** v3 LbPolicy enum numbers, for configs decoded with numeric enums. */
const POLICY_BY_NUMBER: Readonly<Record<number, string>> = {
  0: 'ROUND_ROBIN', 1: 'LEAST_REQUEST', 2: 'RING_HASH', 3: 'RANDOM', 4: 'ORIGINAL_DST_LB', 5: 'MAGLEV', 6: 'CLUSTER_PROVIDED',
  7: 'LOAD_BALANCING_POLICY_CONFIG',
};

export class LoadBalancerRegistry {
  private readonly factories = new Map<string, LoadBalancerFactory>();

  register(policy: string, factory: LoadBalancerFactory): this {
    this.factories.set(policy, factory);
    return this;
  }

  get(policy: string): LoadBalancerFactory | undefined {
    return this.factories.get(policy);
  }

  policies(): string[] {
    return [...this.factories.keys()];
  }

  /** Validates and builds the balancer for `config.lb_policy` (default ROUND_ROBIN). */
  create(config: LbClusterConfig, options: LbFactoryOptions = {}): ValidationResult<LoadBalancer> {
    const policy = policyName(config.lb_policy);
    const factory = this.factories.get(policy);
    if (!factory) {
      const issues = new IssueCollector('lb_policy');
      issues.error(`unsupported lb_policy ${policy} (supported: ${this.policies().join(', ')})`);
      return { errors: issues.errors, warnings: issues.warnings };
    }
    return factory(config, options);
  }
}

export function policyName(p: string | number | undefined): string {
  if (p === undefined || p === '') return 'ROUND_ROBIN';
  return typeof p === 'number' ? (POLICY_BY_NUMBER[p] ?? String(p)) : p;
}

/** The balancer when nothing was reported, else the issues; `make` runs only on valid config. */
function finish(issues: IssueCollector, make: () => LoadBalancer): ValidationResult<LoadBalancer> {
  return issues.errors.length > 0 ? { errors: issues.errors, warnings: issues.warnings } : issues.result(make());
}

/** Reads an unsigned integer wrapper; undefined when unset, reporting non-integers. */
function readUint(w: Wrapped, issues: IssueCollector): number | undefined {
  if (w === null || w === undefined || w.value === undefined || w.value === null) return undefined;
  const n = Number(String(w.value));
  if (!Number.isSafeInteger(n) || n < 0) {
    issues.error(`must be a non-negative integer, got ${String(w.value)}`);
    return undefined;
  }
  return n;
}

function readUpTo(w: Wrapped, issues: IssueCollector, max: number): number | undefined {
  const n = readUint(w, issues);
  if (n !== undefined && n > max) issues.error(`must be at most ${max}, got ${n}`);
  return n;
}

/** common_lb_config.healthy_panic_threshold, rounded to an integer percent as Envoy does. */
function readPanicThreshold(config: LbClusterConfig, issues: IssueCollector): number | undefined {
  const w = config.common_lb_config?.healthy_panic_threshold;
  if (w === null || w === undefined || w.value === undefined || w.value === null) return undefined;
  const v = Number(w.value);
  const at = issues.at('common_lb_config', 'healthy_panic_threshold', 'value');
  if (Number.isNaN(v)) return undefined; // Envoy falls back to the default for NaN
  if (v < 0 || v > 100) {
    at.error(`must be within [0, 100], got ${v}`);
    return undefined;
  }
  return Math.round(v);
}

function roundRobin(config: LbClusterConfig, options: LbFactoryOptions): ValidationResult<LoadBalancer> {
  const issues = new IssueCollector();
  const healthyPanicThreshold = readPanicThreshold(config, issues);
  return finish(issues, () => new RoundRobinLoadBalancer({ ...options, healthyPanicThreshold }));
}

function random(config: LbClusterConfig, options: LbFactoryOptions): ValidationResult<LoadBalancer> {
  const issues = new IssueCollector();
  const healthyPanicThreshold = readPanicThreshold(config, issues);
  return finish(issues, () => new RandomLoadBalancer({ ...options, healthyPanicThreshold }));
}

function leastRequest(config: LbClusterConfig, options: LbFactoryOptions): ValidationResult<LoadBalancer> {
  const issues = new IssueCollector();
  const healthyPanicThreshold = readPanicThreshold(config, issues);
  const at = issues.at('least_request_lb_config', 'choice_count');
  const choiceCount = readUint(config.least_request_lb_config?.choice_count, at) ?? DEFAULT_CHOICE_COUNT;
  if (choiceCount < 2) at.error(`must be at least 2, got ${choiceCount}`);
  return finish(issues, () => new LeastRequestLoadBalancer({ ...options, healthyPanicThreshold, choiceCount }));
}

function ringHash(config: LbClusterConfig, options: LbFactoryOptions): ValidationResult<LoadBalancer> {
  const issues = new IssueCollector();
  const healthyPanicThreshold = readPanicThreshold(config, issues);
  const rh = config.ring_hash_lb_config;
  const at = issues.at('ring_hash_lb_config');
  const minimumRingSize = readUpTo(rh?.minimum_ring_size, at.at('minimum_ring_size'), DEFAULT_MAX_RING_SIZE) ?? DEFAULT_MIN_RING_SIZE;
  const maximumRingSize = readUpTo(rh?.maximum_ring_size, at.at('maximum_ring_size'), DEFAULT_MAX_RING_SIZE) ?? DEFAULT_MAX_RING_SIZE;
  if (minimumRingSize > maximumRingSize) {
    at.error(`minimum_ring_size (${minimumRingSize}) > maximum_ring_size (${maximumRingSize})`);
  }
  const fn = rh?.hash_function;
  if (fn !== undefined && fn !== 'XX_HASH' && fn !== 0) {
    at.at('hash_function').error(`hash function ${String(fn)} is not supported; only XX_HASH`);
  }
  return finish(issues, () => new RingHashLoadBalancer({ ...options, healthyPanicThreshold, minimumRingSize, maximumRingSize }));
}

function maglev(config: LbClusterConfig, options: LbFactoryOptions): ValidationResult<LoadBalancer> {
  const issues = new IssueCollector();
  const healthyPanicThreshold = readPanicThreshold(config, issues);
  const at = issues.at('maglev_lb_config', 'table_size');
  const tableSize = readUpTo(config.maglev_lb_config?.table_size, at, MAX_MAGLEV_TABLE_SIZE) ?? DEFAULT_MAGLEV_TABLE_SIZE;
  if (!isPrime(tableSize)) at.error(`the maglev table size must be a prime number, got ${tableSize}`);
  return finish(issues, () => new MaglevLoadBalancer({ ...options, healthyPanicThreshold, tableSize }));
}

/** A fresh registry with Envoy's built-in policies. */
export function defaultLoadBalancers(): LoadBalancerRegistry {
  return new LoadBalancerRegistry()
    .register('ROUND_ROBIN', roundRobin)
    .register('LEAST_REQUEST', leastRequest)
    .register('RANDOM', random)
    .register('RING_HASH', ringHash)
    .register('MAGLEV', maglev);
}
