// Envoy's outlier detector (passive health checking) for one cluster: consecutive 5xx, gateway and
// local-origin failures eject inline; success rate and failure percentage eject on the interval
// timer, which also brings ejected hosts back. Docs: arch_overview/upstream/outlier and
// api-v3/config/cluster/v3/outlier_detection.proto.
import type { Cluster__Output } from '@weft/api';
import { IssueCollector } from '@weft/base';
import type { Counter, Gauge, StatScope } from '../stats/stat-store.js';

type OutlierDetection__Output = NonNullable<Cluster__Output['outlier_detection']>;
type Duration = { seconds?: string | number; nanos?: number } | null | undefined;

function ms(d: Duration, fallback: number): number {
  if (!d) return fallback;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/** The outlier_detection fields with Envoy's defaults applied. */
export interface OutlierConfig {
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly consecutiveLocalOriginFailure: number;
  readonly enforcingConsecutive5xx: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  readonly enforcingConsecutiveLocalOriginFailure: number;
  readonly enforcingSuccessRate: number;
  readonly enforcingLocalOriginSuccessRate: number;
  readonly intervalMs: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  readonly successRateStdevFactor: number;
  readonly failurePercentageThreshold: number;
  readonly enforcingFailurePercentage: number;
  readonly enforcingFailurePercentageLocalOrigin: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  readonly splitExternalLocalOriginErrors: boolean;
  readonly alwaysEjectOneHost: boolean;
}

const PERCENT_FIELDS = [
  'max_ejection_percent',
  'enforcing_consecutive_5xx',
  'enforcing_consecutive_gateway_failure',
  'enforcing_consecutive_local_origin_failure',
  'enforcing_success_rate',
  'enforcing_local_origin_success_rate',
  'failure_percentage_threshold',
  'enforcing_failure_percentage',
  'enforcing_failure_percentage_local_origin',
] as const;

/**
 * Validates outlier_detection (`issues` is at that path) and applies Envoy's defaults. Percentages
 * above 100 and zero durations are rejected as Envoy's proto validation does; the fields weft does
 * not implement (max_ejection_time_jitter, monitors, successful_active_health_check_uneject_host:
 * true) are errors, never silently dropped.
 */
export function outlierConfig(od: OutlierDetection__Output, issues: IssueCollector): OutlierConfig {
  for (const f of PERCENT_FIELDS) if ((od[f]?.value ?? 0) > 100) issues.at(f).error(`must be at most 100, got ${od[f]!.value}`);
  for (const f of ['interval', 'base_ejection_time', 'max_ejection_time'] as const) {
    if (od[f] && ms(od[f], 0) <= 0) issues.at(f).error('must be greater than 0');
  }
  if (od.max_ejection_time_jitter && ms(od.max_ejection_time_jitter, 0) > 0) issues.at('max_ejection_time_jitter').error('is not supported');
  if ((od.monitors?.length ?? 0) > 0) issues.at('monitors').error('outlier detection monitors are not supported');
  // Envoy's default (true) unejects a host on a passing active health check; weft never does.
  if (od.successful_active_health_check_uneject_host?.value === true) {
    issues.at('successful_active_health_check_uneject_host').error('is not supported (a passing health check does not uneject a host)');
  }
  const v = (x: { value: number } | null | undefined, d: number) => x?.value ?? d;
  const base = ms(od.base_ejection_time, 30_000);
  return {
    consecutive5xx: v(od.consecutive_5xx, 5),
    consecutiveGatewayFailure: v(od.consecutive_gateway_failure, 5),
    consecutiveLocalOriginFailure: v(od.consecutive_local_origin_failure, 5),
    enforcingConsecutive5xx: v(od.enforcing_consecutive_5xx, 100),
    enforcingConsecutiveGatewayFailure: v(od.enforcing_consecutive_gateway_failure, 0),
    enforcingConsecutiveLocalOriginFailure: v(od.enforcing_consecutive_local_origin_failure, 100),
    enforcingSuccessRate: v(od.enforcing_success_rate, 100),
    enforcingLocalOriginSuccessRate: v(od.enforcing_local_origin_success_rate, 100),
    intervalMs: ms(od.interval, 10_000),
    baseEjectionMs: base,
    // Envoy: max_ejection_time defaults to 300 s, or base_ejection_time when that is larger.
    maxEjectionMs: ms(od.max_ejection_time, Math.max(300_000, base)),
    maxEjectionPercent: v(od.max_ejection_percent, 10),
    successRateMinimumHosts: v(od.success_rate_minimum_hosts, 5),
    successRateRequestVolume: v(od.success_rate_request_volume, 100),
    successRateStdevFactor: v(od.success_rate_stdev_factor, 1900),
    failurePercentageThreshold: v(od.failure_percentage_threshold, 85),
    enforcingFailurePercentage: v(od.enforcing_failure_percentage, 0),
    enforcingFailurePercentageLocalOrigin: v(od.enforcing_failure_percentage_local_origin, 0),
    failurePercentageMinimumHosts: v(od.failure_percentage_minimum_hosts, 5),
    failurePercentageRequestVolume: v(od.failure_percentage_request_volume, 50),
    splitExternalLocalOriginErrors: od.split_external_local_origin_errors === true,
    alwaysEjectOneHost: od.always_eject_one_host?.value === true,
  };
}

/** Envoy's ejection types, named as in the `ejections_detected_<type>` / `ejections_enforced_<type>` stats. */
export type EjectionType =
  | 'consecutive_5xx'
  | 'consecutive_gateway_failure'
  | 'consecutive_local_origin_failure'
  | 'success_rate'
  | 'local_origin_success_rate'
  | 'failure_percentage'
  | 'failure_percentage_local_origin';

const EJECTION_TYPES: readonly EjectionType[] = [
  'consecutive_5xx',
  'consecutive_gateway_failure',
  'consecutive_local_origin_failure',
  'success_rate',
  'local_origin_success_rate',
  'failure_percentage',
  'failure_percentage_local_origin',
];

/** One host's outlier state. It outlives the host object when an EDS update re-creates the host. */
export class HostMonitor {
  ejected = false;
  ejectedAt = 0;
  /** The ejection time multiplier: up one per ejection, down one per interval spent healthy. */
  multiplier = 0;
  consecutive5xx = 0;
  consecutiveGateway = 0;
  consecutiveLocal = 0;
  /** This interval's externally (or, unsplit, all) and locally originated results. */
  extTotal = 0;
  extSuccess = 0;
  localTotal = 0;
  localSuccess = 0;
}

export interface OutlierDeps {
  readonly stats: StatScope;
  readonly now: () => number;
  /** [0, 1): the enforcing_* percentages are rolled with it. */
  readonly random: () => number;
  /** Called after any ejection or unejection (the cluster rebuilds its balancer). */
  readonly onChange: () => void;
}

/**
 * Result codes a host reports: an HTTP status for a response (which also says the connection worked),
 * LOCAL_ORIGIN_FAILURE for a connect failure or reset (Envoy maps it to 503 unless
 * split_external_local_origin_errors), LOCAL_ORIGIN_TIMEOUT for a timeout (504 unsplit).
 */
export const LOCAL_ORIGIN_FAILURE = 0;
export const LOCAL_ORIGIN_TIMEOUT = -1;

export class OutlierDetector {
  private monitors = new Set<HostMonitor>();
  private readonly detected = new Map<EjectionType, Counter>();
  private readonly enforced = new Map<EjectionType, Counter>();
  private readonly active: Gauge;
  private readonly enforcedTotal: Counter;
  private readonly overflow: Counter;
  /** Deprecated Envoy stats, still emitted: ejections_total and ejections_consecutive_5xx. */
  private readonly legacyTotal: Counter;
  private readonly legacy5xx: Counter;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly config: OutlierConfig,
    private readonly deps: OutlierDeps,
  ) {
    const s = deps.stats;
    for (const t of EJECTION_TYPES) {
      this.detected.set(t, s.counter(`ejections_detected_${t}`));
      this.enforced.set(t, s.counter(`ejections_enforced_${t}`));
    }
    this.active = s.gauge('ejections_active');
    this.enforcedTotal = s.counter('ejections_enforced_total');
    this.overflow = s.counter('ejections_overflow');
    this.legacyTotal = s.counter('ejections_total');
    this.legacy5xx = s.counter('ejections_consecutive_5xx');
    this.timer = setInterval(() => this.onInterval(), config.intervalMs);
    this.timer.unref();
  }

  /** The monitors of the cluster's current hosts; an ejected host that left no longer counts as active. */
  setMonitors(monitors: Iterable<HostMonitor>): void {
    this.monitors = new Set(monitors);
    this.updateActive();
  }

  /** Records `count` results of one code in a row (a worker's reported run, --concurrency). */
  putResults(m: HostMonitor, code: number, count: number): void {
    for (let i = 0; i < count; i++) this.putResult(m, code);
  }

  /** Records one result (an HTTP status, LOCAL_ORIGIN_FAILURE or LOCAL_ORIGIN_TIMEOUT). */
  putResult(m: HostMonitor, code: number): void {
    if (code > 0) {
      if (this.config.splitExternalLocalOriginErrors) this.putLocal(m, true);
      this.putHttp(m, code);
    } else if (this.config.splitExternalLocalOriginErrors) {
      this.putLocal(m, false);
    } else {
      this.putHttp(m, code === LOCAL_ORIGIN_TIMEOUT ? 504 : 503);
    }
  }

  private putHttp(m: HostMonitor, code: number): void {
    m.extTotal++;
    if (code < 500) {
      m.extSuccess++;
      m.consecutive5xx = 0;
      m.consecutiveGateway = 0;
      return;
    }
    if (code === 502 || code === 503 || code === 504) {
      // Envoy fires at exactly the threshold, so a threshold of 0 never fires.
      if (++m.consecutiveGateway === this.config.consecutiveGatewayFailure) this.onConsecutive(m, 'consecutive_gateway_failure');
    } else {
      m.consecutiveGateway = 0;
    }
    if (++m.consecutive5xx === this.config.consecutive5xx) this.onConsecutive(m, 'consecutive_5xx');
  }

  private putLocal(m: HostMonitor, ok: boolean): void {
    m.localTotal++;
    if (ok) {
      m.localSuccess++;
      m.consecutiveLocal = 0;
    } else if (++m.consecutiveLocal === this.config.consecutiveLocalOriginFailure) {
      this.onConsecutive(m, 'consecutive_local_origin_failure');
    }
  }

  private onConsecutive(m: HostMonitor, type: EjectionType): void {
    if (m.ejected) return;
    this.detected.get(type)!.value++;
    if (type === 'consecutive_5xx') this.legacy5xx.value++;
    this.eject(m, type);
    // Reset, so a new run of errors is seen even without a success in between.
    if (type === 'consecutive_5xx') m.consecutive5xx = 0;
    else if (type === 'consecutive_gateway_failure') m.consecutiveGateway = 0;
    else m.consecutiveLocal = 0;
  }

  private enforcing(type: EjectionType): number {
    const c = this.config;
    switch (type) {
      case 'consecutive_5xx':
        return c.enforcingConsecutive5xx;
      case 'consecutive_gateway_failure':
        return c.enforcingConsecutiveGatewayFailure;
      case 'consecutive_local_origin_failure':
        return c.enforcingConsecutiveLocalOriginFailure;
      case 'success_rate':
        return c.enforcingSuccessRate;
      case 'local_origin_success_rate':
        return c.enforcingLocalOriginSuccessRate;
      case 'failure_percentage':
        return c.enforcingFailurePercentage;
      case 'failure_percentage_local_origin':
        return c.enforcingFailurePercentageLocalOrigin;
    }
  }

  /**
   * Envoy's ejectHost: allowed while the share already ejected is below max_ejection_percent (so one
   * host of a small cluster always can be), then enforced with probability enforcing_<type>%.
   */
  private eject(m: HostMonitor, type: EjectionType): void {
    const ejected = this.ejectedCount();
    const percent = this.monitors.size > 0 ? (100 * ejected) / this.monitors.size : 100;
    if (!(percent < Math.min(100, this.config.maxEjectionPercent) || (this.config.alwaysEjectOneHost && ejected === 0))) {
      this.overflow.value++;
      return;
    }
    if (type === 'consecutive_5xx' || type === 'success_rate') this.legacyTotal.value++;
    const enforcing = this.enforcing(type);
    if (enforcing <= 0 || this.deps.random() * 100 >= enforcing) return;
    this.enforcedTotal.value++;
    this.enforced.get(type)!.value++;
    m.ejected = true;
    m.ejectedAt = this.deps.now();
    if (this.config.baseEjectionMs * m.multiplier < this.config.maxEjectionMs) m.multiplier++;
    this.updateActive();
    this.deps.onChange();
  }

  /** How long `m` stays out this time: base_ejection_time × multiplier, at most max_ejection_time. */
  ejectionMs(m: HostMonitor): number {
    return Math.min(this.config.baseEjectionMs * Math.max(1, m.multiplier), this.config.maxEjectionMs);
  }

  /** The interval sweep: unejections, then success-rate and failure-percentage ejections. */
  onInterval(): void {
    const now = this.deps.now();
    let changed = false;
    for (const m of this.monitors) {
      if (!m.ejected) {
        if (m.multiplier > 0) m.multiplier--;
      } else if (now - m.ejectedAt >= this.ejectionMs(m)) {
        m.ejected = false;
        changed = true;
      }
    }
    if (changed) {
      this.updateActive();
      this.deps.onChange();
    }
    const split = this.config.splitExternalLocalOriginErrors;
    this.rateEjections((m) => [m.extTotal, m.extSuccess], 'success_rate', 'failure_percentage');
    if (split) this.rateEjections((m) => [m.localTotal, m.localSuccess], 'local_origin_success_rate', 'failure_percentage_local_origin');
    for (const m of this.monitors) m.extTotal = m.extSuccess = m.localTotal = m.localSuccess = 0;
  }

  private rateEjections(bucket: (m: HostMonitor) => [number, number], srType: EjectionType, fpType: EjectionType): void {
    const c = this.config;
    const rates: [HostMonitor, number, number][] = [];
    for (const m of this.monitors) {
      if (m.ejected) continue;
      const [total, success] = bucket(m);
      if (total > 0) rates.push([m, total, (100 * success) / total]);
    }
    const sr = rates.filter(([, total]) => total >= c.successRateRequestVolume);
    if (sr.length > 0 && sr.length >= c.successRateMinimumHosts) {
      const mean = sr.reduce((a, [, , r]) => a + r, 0) / sr.length;
      const stdev = Math.sqrt(sr.reduce((a, [, , r]) => a + (r - mean) ** 2, 0) / sr.length);
      const threshold = mean - stdev * (c.successRateStdevFactor / 1000);
      for (const [m, , r] of sr) {
        if (r >= threshold || m.ejected) continue;
        this.detected.get(srType)!.value++;
        this.eject(m, srType);
      }
    }
    const fp = rates.filter(([, total]) => total >= c.failurePercentageRequestVolume);
    if (fp.length > 0 && fp.length >= c.failurePercentageMinimumHosts) {
      for (const [m, , r] of fp) {
        if (100 - r < c.failurePercentageThreshold || m.ejected) continue;
        this.detected.get(fpType)!.value++;
        this.eject(m, fpType);
      }
    }
  }

  private ejectedCount(): number {
    let n = 0;
    for (const m of this.monitors) if (m.ejected) n++;
    return n;
  }

  private updateActive(): void {
    this.active.set(this.ejectedCount());
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** Validates a cluster's outlier_detection without building a detector (the CDS check). */
export function checkOutlierDetection(od: OutlierDetection__Output | null | undefined, issues: IssueCollector): void {
  if (od) outlierConfig(od, issues.at('outlier_detection'));
}

/** A worker's results for one host, as runs of [code, count] in the order they happened. */
export type OutlierRuns = [address: string, port: number, runs: [code: number, count: number][]];

/** Whether a result can count toward an ejection (5xx or local-origin): such a result is reported at once. */
function isFailure(code: number): boolean {
  return code >= 500 || code <= 0;
}

/**
 * A worker's side of process-wide outlier detection (--concurrency): the primary runs the one
 * detector per cluster, as Envoy's main thread does, and every worker reports what its hosts
 * answered. Successes are batched for `windowMs` as runs; a failure flushes the batch at once (in
 * order), so an ejection waits for no timer.
 */
export class OutlierReporter {
  private pending = new Map<string, OutlierRuns>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (results: OutlierRuns[]) => void,
    private readonly windowMs = 50,
  ) {}

  put(address: string, port: number, code: number): void {
    const key = `${address}:${port}`;
    let entry = this.pending.get(key);
    if (!entry) this.pending.set(key, (entry = [address, port, []]));
    const runs = entry[2];
    const last = runs.at(-1);
    if (last && last[0] === code) last[1]++;
    else runs.push([code, 1]);
    if (isFailure(code)) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowMs);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const results = [...this.pending.values()];
    this.pending = new Map();
    this.send(results);
  }

  close(): void {
    this.flush();
  }
}
