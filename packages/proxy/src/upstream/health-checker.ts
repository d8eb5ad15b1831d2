// Active health checking of a cluster's hosts (Envoy's HealthCheck): one timer-driven session per host
// probes it every interval and marks it failed/passed after the configured thresholds. The probe itself
// (HTTP or TCP, with sockets) is injected, so this file holds only the state machine and the timers.
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/core/v3/health_check.proto
import type { Cluster__Output } from '@weft/api';
import { IssueCollector, type ValidationResult } from '@weft/base';
import type { Counter, Gauge, StatScope } from '../stats/stat-store.js';

type HealthCheck__Output = Cluster__Output['health_checks'][number];
type Duration = { seconds?: string | number; nanos?: number } | null | undefined;

function ms(d: Duration): number | undefined {
  return d ? Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6) : undefined;
}

export interface HttpCheckSettings {
  readonly kind: 'http';
  readonly path: string;
  /** Host header; empty means the cluster name (Envoy's default). */
  readonly host: string;
  /** Half-open [start, end) ranges; default [200, 201). */
  readonly expectedStatuses: readonly (readonly [number, number])[];
}

export interface TcpCheckSettings {
  readonly kind: 'tcp';
  /** Written after connecting; empty = connect-only check. */
  readonly send: Buffer | undefined;
  /** Blocks that must all appear in the response, in order (not necessarily adjacent). */
  readonly receive: readonly Buffer[];
}

export interface HealthCheckSettings {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly intervalJitterMs: number;
  readonly intervalJitterPercent: number;
  readonly initialJitterMs: number;
  /** The interval while the cluster has never carried traffic (default 60 s). */
  readonly noTrafficIntervalMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly check: HttpCheckSettings | TcpCheckSettings;
}

/** Payload.text is hex (Envoy's convention), binary is raw bytes. */
function payload(p: { text?: string; binary?: Buffer } | null | undefined, issues: IssueCollector): Buffer | undefined {
  if (!p) return undefined;
  if (p.binary !== undefined) return Buffer.from(p.binary);
  const text = p.text ?? '';
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) {
    issues.error(`text must be hex-encoded bytes, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return Buffer.from(text, 'hex');
}

/** Reads one HealthCheck into settings, collecting every problem with its path (a NACK). */
export function healthCheckSettings(hc: HealthCheck__Output, issues: IssueCollector): HealthCheckSettings | undefined {
  const timeoutMs = ms(hc.timeout);
  const intervalMs = ms(hc.interval);
  if (!timeoutMs) issues.at('timeout').error('is required and must be positive');
  if (!intervalMs) issues.at('interval').error('is required and must be positive');
  const unhealthyThreshold = hc.unhealthy_threshold?.value;
  const healthyThreshold = hc.healthy_threshold?.value;
  if (unhealthyThreshold === undefined) issues.at('unhealthy_threshold').error('is required');
  if (healthyThreshold === undefined) issues.at('healthy_threshold').error('is required');
  let check: HttpCheckSettings | TcpCheckSettings | undefined;
  if (hc.http_health_check) {
    const h = hc.http_health_check;
    const at = issues.at('http_health_check');
    if (!h.path) at.at('path').error('is required');
    const expectedStatuses = (h.expected_statuses ?? []).map((r, i): [number, number] => {
      const [start, end] = [Number(r.start), Number(r.end)];
      if (!(start >= 100 && end <= 600 && start < end)) at.at(`expected_statuses[${i}]`).error(`must be a range within [100, 600), got [${start}, ${end})`);
      return [start, end];
    });
    check = { kind: 'http', path: h.path, host: h.host ?? '', expectedStatuses: expectedStatuses.length > 0 ? expectedStatuses : [[200, 201]] };
  } else if (hc.tcp_health_check) {
    const at = issues.at('tcp_health_check');
    const send = payload(hc.tcp_health_check.send, at.at('send'));
    const receive = (hc.tcp_health_check.receive ?? []).map((p, i) => payload(p, at.at(`receive[${i}]`)) ?? Buffer.alloc(0));
    check = { kind: 'tcp', send: send && send.length > 0 ? send : undefined, receive: receive.filter((b) => b.length > 0) };
  } else {
    issues.at('health_checker').error(`${hc.health_checker ?? 'an unset'} health checker is not supported (http_health_check and tcp_health_check are)`);
  }
  if (!check || !timeoutMs || !intervalMs || unhealthyThreshold === undefined || healthyThreshold === undefined) return undefined;
  return {
    timeoutMs,
    intervalMs,
    intervalJitterMs: ms(hc.interval_jitter) ?? 0,
    intervalJitterPercent: hc.interval_jitter_percent ?? 0,
    initialJitterMs: ms(hc.initial_jitter) ?? 0,
    noTrafficIntervalMs: ms(hc.no_traffic_interval) ?? 60_000,
    unhealthyThreshold: Math.max(1, unhealthyThreshold),
    healthyThreshold: Math.max(1, healthyThreshold),
    check,
  };
}

/** All of a cluster's health_checks, as a result (errors under `health_checks[i]`). */
export function clusterHealthChecks(list: readonly HealthCheck__Output[] | undefined): ValidationResult<HealthCheckSettings[]> {
  const issues = new IssueCollector('health_checks');
  const out: HealthCheckSettings[] = [];
  (list ?? []).forEach((hc, i) => {
    const s = healthCheckSettings(hc, issues.at(`[${i}]`));
    if (s) out.push(s);
  });
  return issues.result(out);
}

/**
 * A probe's verdict: `healthy`; `unhealthy` (an HTTP status outside expected_statuses: Envoy marks the
 * host failed at once, ignoring unhealthy_threshold); `network-failure` (refused, reset, timeout, or a
 * TCP response without the expected blocks), which counts toward unhealthy_threshold.
 */
export type ProbeOutcome = 'healthy' | 'unhealthy' | 'network-failure';

export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
}

/** Runs one check against a host; must settle within `timeoutMs` (a timeout is a network failure). */
export type Probe = (target: ProbeTarget, timeoutMs: number) => Promise<ProbeOutcome>;

/** The host state the checker owns: the FAILED_ACTIVE_HC flag (outlier ejection is kept apart). */
export interface HealthCheckedHost extends ProbeTarget {
  failedActiveHc: boolean;
}

export interface HealthCheckerDeps {
  readonly probe: Probe;
  /** Called after a host flips, so the cluster rebuilds its load balancer. */
  readonly onChange: () => void;
  /** Called with the host that flipped (the primary hands verdicts to its workers). */
  readonly onVerdict?: (host: HealthCheckedHost) => void;
  /** Whether the cluster has carried traffic (else no_traffic_interval applies). */
  readonly hadTraffic: () => boolean;
  /** `cluster.<name>.health_check`. */
  readonly stats: StatScope;
  readonly random?: () => number;
}

interface HcStats {
  readonly attempt: Counter;
  readonly success: Counter;
  readonly failure: Counter;
  readonly network_failure: Counter;
  readonly healthy: Gauge;
}

/** One host's probing loop. */
class Session {
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;
  /** Until the first verdict: one success is enough to pass (Envoy's start-up rule). */
  private first = true;
  private stopped = false;

  constructor(
    public host: HealthCheckedHost,
    private readonly checker: HealthChecker,
  ) {}

  start(delayMs: number): void {
    this.timer = setTimeout(() => void this.run(), delayMs).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    const outcome = await this.checker.probeOnce(this.host);
    if (this.stopped) return;
    this.record(outcome);
    this.start(this.checker.nextIntervalMs());
  }

  /** Applies a verdict to the host; true when the host flipped. */
  record(outcome: ProbeOutcome): boolean {
    const host = this.host;
    const wasFailed = host.failedActiveHc;
    const s = this.checker.settings;
    if (outcome === 'healthy') {
      this.failures = 0;
      this.successes++;
      if (host.failedActiveHc && (this.first || this.successes >= s.healthyThreshold)) host.failedActiveHc = false;
    } else {
      this.successes = 0;
      this.failures++;
      if (outcome === 'unhealthy' || this.failures >= s.unhealthyThreshold) host.failedActiveHc = true;
    }
    this.first = false;
    const flipped = wasFailed !== host.failedActiveHc;
    if (flipped) this.checker.flipped(host);
    return flipped;
  }
}

export class HealthChecker {
  private readonly sessions = new Map<string, Session>();
  private readonly stats: HcStats;
  private readonly random: () => number;
  private closed = false;

  constructor(
    readonly settings: HealthCheckSettings,
    private readonly deps: HealthCheckerDeps,
  ) {
    const st = deps.stats;
    this.stats = { attempt: st.counter('attempt'), success: st.counter('success'), failure: st.counter('failure'), network_failure: st.counter('network_failure'), healthy: st.gauge('healthy') };
    this.random = deps.random ?? Math.random;
  }

  /**
   * Follows the cluster's host list: a new host starts as failed (Envoy marks hosts added to a
   * health-checked cluster FAILED_ACTIVE_HC until they pass) and is first probed after initial_jitter;
   * a host that stays (same address) keeps its session and state; a removed host's timer stops.
   */
  setHosts(hosts: readonly HealthCheckedHost[]): void {
    if (this.closed) return;
    const next = new Map<string, Session>();
    for (const h of hosts) {
      const key = `${h.address}:${h.port}`;
      const prior = this.sessions.get(key);
      if (prior) {
        h.failedActiveHc = prior.host.failedActiveHc;
        prior.host = h;
        next.set(key, prior);
        this.sessions.delete(key);
        continue;
      }
      h.failedActiveHc = true;
      const session = new Session(h, this);
      next.set(key, session);
      session.start(this.settings.initialJitterMs > 0 ? Math.floor(this.random() * this.settings.initialJitterMs) : 0);
    }
    for (const gone of this.sessions.values()) gone.stop();
    this.sessions.clear();
    for (const [k, s] of next) this.sessions.set(k, s);
    this.updateGauge();
  }

  /** Applies a verdict without probing (tests, and callers that probe themselves). */
  record(host: ProbeTarget, outcome: ProbeOutcome): boolean {
    return this.sessions.get(`${host.address}:${host.port}`)?.record(outcome) ?? false;
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) s.stop();
    this.sessions.clear();
  }

  /** @internal A session's probe, counted in the stats. */
  async probeOnce(host: ProbeTarget): Promise<ProbeOutcome> {
    this.stats.attempt.value++;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.deps.probe(host, this.settings.timeoutMs);
    } catch {
      outcome = 'network-failure';
    }
    if (outcome === 'healthy') this.stats.success.value++;
    else {
      this.stats.failure.value++;
      if (outcome === 'network-failure') this.stats.network_failure.value++;
    }
    return outcome;
  }

  /** @internal */
  flipped(host: HealthCheckedHost): void {
    this.updateGauge();
    this.deps.onVerdict?.(host);
    this.deps.onChange();
  }

  /** interval (or no_traffic_interval before any traffic) + interval_jitter × random + interval_jitter_percent. */
  nextIntervalMs(): number {
    const s = this.settings;
    const base = this.deps.hadTraffic() ? s.intervalMs : s.noTrafficIntervalMs;
    const jitter = s.intervalJitterMs > 0 ? this.random() * s.intervalJitterMs : 0;
    const percent = s.intervalJitterPercent > 0 ? this.random() * ((base * s.intervalJitterPercent) / 100) : 0;
    return Math.floor(base + jitter + percent);
  }

  private updateGauge(): void {
    let healthy = 0;
    for (const s of this.sessions.values()) if (!s.host.failedActiveHc) healthy++;
    this.stats.healthy.set(healthy);
  }
}
