import type { Cluster__Output } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { afterEach, describe, expect, it } from 'vitest';
import { StatStore } from '../stats/stat-store.js';
import { HostMonitor, LOCAL_ORIGIN_FAILURE, LOCAL_ORIGIN_TIMEOUT, OutlierDetector, outlierConfig, OutlierReporter } from './outlier-detection.js';

type Od = NonNullable<Cluster__Output['outlier_detection']>;
const u = (value: number) => ({ value });
const sec = (seconds: number) => ({ seconds, nanos: 0 });

const detectors: OutlierDetector[] = [];
afterEach(() => {
  for (const d of detectors.splice(0)) d.close();
});

function setup(od: Partial<Record<keyof Od, unknown>>, hostCount = 1, random = () => 0) {
  const issues = new IssueCollector('outlier_detection');
  const config = outlierConfig(od as unknown as Od, issues);
  expect(issues.errors).toEqual([]);
  const clock = { now: 0 };
  const stats = new StatStore();
  let changes = 0;
  const detector = new OutlierDetector(config, { stats: stats.scope('cluster.c.outlier_detection'), now: () => clock.now, random, onChange: () => changes++ });
  detectors.push(detector);
  const hosts = Array.from({ length: hostCount }, () => new HostMonitor());
  detector.setMonitors(hosts);
  const stat = (name: string) => stats.counter(`cluster.c.outlier_detection.${name}`).value;
  const active = () => stats.gauge('cluster.c.outlier_detection.ejections_active').value;
  const put = (m: HostMonitor, code: number, times = 1) => {
    for (let i = 0; i < times; i++) detector.putResult(m, code);
  };
  return { detector, hosts, clock, stat, active, put, changes: () => changes };
}

describe('consecutive 5xx', () => {
  it('ejects at exactly consecutive_5xx errors (default 5), counting detected and enforced', () => {
    const { hosts, put, stat, active } = setup({ max_ejection_percent: u(100) });
    const [h] = hosts;
    put(h!, 500, 4);
    expect(h!.ejected).toBe(false);
    put(h!, 500);
    expect(h!.ejected).toBe(true);
    expect([stat('ejections_detected_consecutive_5xx'), stat('ejections_enforced_consecutive_5xx'), stat('ejections_enforced_total'), active()]).toEqual([1, 1, 1, 1]);
  });

  it('starts the count over after a success', () => {
    const { hosts, put } = setup({ consecutive_5xx: u(3), max_ejection_percent: u(100) });
    put(hosts[0]!, 500, 2);
    put(hosts[0]!, 200);
    put(hosts[0]!, 500, 2);
    expect(hosts[0]!.ejected).toBe(false);
  });

  it.each([
    ['consecutive_5xx 0 with enforcing 0 (Pilot for consecutive5xxErrors: 0)', { consecutive_5xx: u(0), enforcing_consecutive_5xx: u(0) }],
    ['consecutive_5xx 0', { consecutive_5xx: u(0) }],
  ])('never ejects with %s', (_name, od) => {
    const { hosts, put, stat } = setup({ ...od, max_ejection_percent: u(100) });
    put(hosts[0]!, 500, 50);
    expect(hosts[0]!.ejected).toBe(false);
    expect(stat('ejections_enforced_total')).toBe(0);
  });

  it('detects but does not eject when enforcing_consecutive_5xx is 0', () => {
    const { hosts, put, stat } = setup({ consecutive_5xx: u(1), enforcing_consecutive_5xx: u(0), max_ejection_percent: u(100) });
    put(hosts[0]!, 503);
    expect(hosts[0]!.ejected).toBe(false);
    expect([stat('ejections_detected_consecutive_5xx'), stat('ejections_enforced_consecutive_5xx')]).toEqual([1, 0]);
  });

  it('rolls enforcing_consecutive_5xx as a percentage', () => {
    const { hosts, put } = setup({ consecutive_5xx: u(1), enforcing_consecutive_5xx: u(30), max_ejection_percent: u(100) }, 2, (() => {
      const rolls = [0.5, 0.2];
      return () => rolls.shift() ?? 0;
    })());
    put(hosts[0]!, 500); // 50 ≥ 30: not enforced
    put(hosts[1]!, 500); // 20 < 30: enforced
    expect(hosts.map((h) => h.ejected)).toEqual([false, true]);
  });
});

describe('consecutive gateway failure', () => {
  it('is detected but not enforced by default (enforcing_consecutive_gateway_failure 0)', () => {
    const { hosts, put, stat } = setup({ consecutive_5xx: u(100), consecutive_gateway_failure: u(2), max_ejection_percent: u(100) });
    put(hosts[0]!, 503, 2);
    expect(hosts[0]!.ejected).toBe(false);
    expect(stat('ejections_detected_consecutive_gateway_failure')).toBe(1);
  });

  it('ejects on 502/503/504 runs when enforced; another 5xx breaks the run', () => {
    const { hosts, put, stat } = setup({ consecutive_5xx: u(100), consecutive_gateway_failure: u(3), enforcing_consecutive_gateway_failure: u(100), max_ejection_percent: u(100) });
    const [h] = hosts;
    put(h!, 502, 2);
    put(h!, 500);
    put(h!, 504, 2);
    expect(h!.ejected).toBe(false);
    put(h!, 503);
    expect(h!.ejected).toBe(true);
    expect(stat('ejections_enforced_consecutive_gateway_failure')).toBe(1);
  });
});

describe('locally originated errors', () => {
  it('count as 503 (and a timeout as 504) unless split_external_local_origin_errors', () => {
    const { hosts, put } = setup({ consecutive_5xx: u(3), max_ejection_percent: u(100) });
    put(hosts[0]!, LOCAL_ORIGIN_FAILURE, 2);
    put(hosts[0]!, LOCAL_ORIGIN_TIMEOUT);
    expect(hosts[0]!.ejected).toBe(true);
  });

  it('with split_external_local_origin_errors count only toward consecutive_local_origin_failure', () => {
    const { hosts, put, stat } = setup({ split_external_local_origin_errors: true, consecutive_5xx: u(2), consecutive_local_origin_failure: u(3), max_ejection_percent: u(100) }, 2);
    const [a, b] = hosts;
    put(a!, LOCAL_ORIGIN_FAILURE, 2);
    put(a!, 200); // the connection worked: the local-origin run ends
    put(a!, LOCAL_ORIGIN_FAILURE, 2);
    expect(a!.ejected).toBe(false);
    put(a!, LOCAL_ORIGIN_FAILURE);
    expect(a!.ejected).toBe(true);
    expect(stat('ejections_enforced_consecutive_local_origin_failure')).toBe(1);
    // An upstream 5xx is an external error: it never counts as a local-origin one, and vice versa.
    put(b!, LOCAL_ORIGIN_FAILURE);
    put(b!, 500);
    put(b!, LOCAL_ORIGIN_FAILURE);
    expect(b!.ejected).toBe(false);
  });

  it('honours enforcing_consecutive_local_origin_failure', () => {
    const { hosts, put } = setup({ split_external_local_origin_errors: true, consecutive_local_origin_failure: u(1), enforcing_consecutive_local_origin_failure: u(0), max_ejection_percent: u(100) });
    put(hosts[0]!, LOCAL_ORIGIN_FAILURE);
    expect(hosts[0]!.ejected).toBe(false);
  });
});

describe('max_ejection_percent', () => {
  it('stops ejecting once the share already ejected reaches it, counting ejections_overflow', () => {
    const { hosts, put, stat, active } = setup({ consecutive_5xx: u(1), max_ejection_percent: u(20) }, 10);
    for (const h of hosts.slice(0, 3)) put(h, 500);
    // 0/10 and 1/10 are under 20%; at 2/10 the third is refused.
    expect(hosts.slice(0, 3).map((h) => h.ejected)).toEqual([true, true, false]);
    expect([active(), stat('ejections_overflow')]).toEqual([2, 1]);
  });

  it('lets one host of a small cluster be ejected under the default 10%', () => {
    const { hosts, put } = setup({ consecutive_5xx: u(1) }, 3);
    put(hosts[0]!, 500);
    put(hosts[1]!, 500);
    expect(hosts.map((h) => h.ejected)).toEqual([true, false, false]);
  });

  it('always_eject_one_host ejects one even when max_ejection_percent is 0', () => {
    const { hosts, put } = setup({ consecutive_5xx: u(1), max_ejection_percent: u(0), always_eject_one_host: { value: true } }, 2);
    put(hosts[0]!, 500);
    put(hosts[1]!, 500);
    expect(hosts.map((h) => h.ejected)).toEqual([true, false]);
  });
});

describe('ejection time and the interval timer', () => {
  it('brings a host back on the interval once base_ejection_time × ejections has passed, capped by max_ejection_time', () => {
    const { detector, hosts, put, clock, active } = setup({ consecutive_5xx: u(1), base_ejection_time: sec(30), max_ejection_time: sec(45), max_ejection_percent: u(100) });
    const [h] = hosts;
    put(h!, 500);
    clock.now = 29_999;
    detector.onInterval();
    expect(h!.ejected).toBe(true);
    clock.now = 30_000;
    // Not on the clock alone: only the interval sweep unejects.
    expect(h!.ejected).toBe(true);
    detector.onInterval();
    expect([h!.ejected, active()]).toEqual([false, 0]);
    put(h!, 500); // second ejection: 60 s, capped at 45 s
    expect(detector.ejectionMs(h!)).toBe(45_000);
    clock.now = 30_000 + 44_999;
    detector.onInterval();
    expect(h!.ejected).toBe(true);
    clock.now = 30_000 + 45_000;
    detector.onInterval();
    expect(h!.ejected).toBe(false);
  });

  it('lowers the multiplier by one for each interval the host spends healthy', () => {
    const { detector, hosts, put, clock } = setup({ consecutive_5xx: u(1), base_ejection_time: sec(10), max_ejection_percent: u(100) });
    const [h] = hosts;
    for (let i = 0; i < 3; i++) {
      put(h!, 500);
      clock.now += 100_000;
      detector.onInterval();
    }
    expect(h!.multiplier).toBe(3);
    detector.onInterval(); // healthy for a whole interval
    expect(h!.multiplier).toBe(2);
    put(h!, 500);
    expect(detector.ejectionMs(h!)).toBe(30_000);
  });

  it('runs the sweep on its own timer every interval', async () => {
    const { hosts, put, clock } = setup({ consecutive_5xx: u(1), interval: { seconds: 0, nanos: 20e6 }, base_ejection_time: { seconds: 0, nanos: 1e6 }, max_ejection_percent: u(100) });
    put(hosts[0]!, 500);
    clock.now = 10;
    for (let i = 0; i < 100 && hosts[0]!.ejected; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hosts[0]!.ejected).toBe(false);
  });
});

describe('success rate and failure percentage', () => {
  const feed = (put: (m: HostMonitor, c: number, n?: number) => void, hosts: HostMonitor[], failures: number[], volume = 100) => {
    hosts.forEach((h, i) => {
      put(h, 200, volume - failures[i]!);
      put(h, 503, failures[i]!);
    });
  };
  const base = { consecutive_5xx: u(1000), max_ejection_percent: u(100) };

  it('ejects a host whose success rate is below mean − stdev × success_rate_stdev_factor/1000', () => {
    const { detector, hosts, put, stat } = setup(base, 5);
    feed(put, hosts, [0, 0, 0, 1, 50]);
    detector.onInterval();
    expect(hosts.map((h) => h.ejected)).toEqual([false, false, false, false, true]);
    expect([stat('ejections_detected_success_rate'), stat('ejections_enforced_success_rate')]).toEqual([1, 1]);
  });

  it.each([
    ['fewer hosts than success_rate_minimum_hosts', { success_rate_minimum_hosts: u(6) }, 100],
    ['hosts under success_rate_request_volume', { success_rate_request_volume: u(101) }, 100],
    ['enforcing_success_rate 0', { enforcing_success_rate: u(0) }, 100],
    ['a wide success_rate_stdev_factor', { success_rate_stdev_factor: u(3000) }, 100],
  ])('does not eject with %s', (_name, od, volume) => {
    const { detector, hosts, put } = setup({ ...base, ...od }, 5);
    feed(put, hosts, [0, 0, 0, 1, 50], volume);
    detector.onInterval();
    expect(hosts.some((h) => h.ejected)).toBe(false);
  });

  it('starts every interval with fresh counts', () => {
    const { detector, hosts, put } = setup(base, 5);
    feed(put, hosts, [0, 0, 0, 1, 50]);
    detector.onInterval();
    detector.onInterval();
    expect(hosts[4]!.extTotal).toBe(0);
  });

  it('judges local-origin success rate apart under split_external_local_origin_errors (enforcing_local_origin_success_rate)', () => {
    const { detector, hosts, put, stat } = setup({ ...base, split_external_local_origin_errors: true, consecutive_local_origin_failure: u(1000) }, 5);
    hosts.forEach((h, i) => {
      put(h, 200, 100);
      put(h, LOCAL_ORIGIN_FAILURE, i === 4 ? 100 : 0);
    });
    detector.onInterval();
    expect(hosts[4]!.ejected).toBe(true);
    expect([stat('ejections_enforced_local_origin_success_rate'), stat('ejections_enforced_success_rate')]).toEqual([1, 0]);
  });

  it('ejects on failure_percentage_threshold only when enforcing_failure_percentage is set', () => {
    const od = { ...base, success_rate_stdev_factor: u(100_000), failure_percentage_threshold: u(40) };
    const off = setup(od, 5);
    feed(off.put, off.hosts, [0, 0, 0, 0, 60], 50);
    off.detector.onInterval();
    expect(off.hosts[4]!.ejected).toBe(false);
    expect(off.stat('ejections_detected_failure_percentage')).toBe(1);
    const on = setup({ ...od, enforcing_failure_percentage: u(100) }, 5);
    feed(on.put, on.hosts, [0, 0, 0, 0, 30], 50);
    on.detector.onInterval();
    expect(on.hosts[4]!.ejected).toBe(true);
  });
});

describe('outlierConfig', () => {
  it.each([
    [{ max_ejection_percent: u(101) }, 'outlier_detection.max_ejection_percent'],
    [{ enforcing_success_rate: u(200) }, 'outlier_detection.enforcing_success_rate'],
    [{ interval: sec(0) }, 'outlier_detection.interval'],
    [{ max_ejection_time_jitter: sec(1) }, 'outlier_detection.max_ejection_time_jitter'],
    [{ successful_active_health_check_uneject_host: { value: true } }, 'outlier_detection.successful_active_health_check_uneject_host'],
    [{ monitors: [{ name: 'x' }] }, 'outlier_detection.monitors'],
  ])('rejects %j at its path', (od, path) => {
    const issues = new IssueCollector('outlier_detection');
    outlierConfig(od as unknown as Od, issues);
    expect(issues.errors.map((e) => e.path)).toEqual([path]);
  });

  it("applies Envoy's defaults", () => {
    const c = outlierConfig({} as Od, new IssueCollector());
    expect(c).toMatchObject({ consecutive5xx: 5, enforcingConsecutive5xx: 100, enforcingConsecutiveGatewayFailure: 0, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 10, successRateStdevFactor: 1900 });
  });
});

describe('OutlierReporter (a worker reporting to the primary\'s detector)', () => {
  it('batches successes as runs and flushes at once, in order, when a failure comes', () => {
    const sent: unknown[] = [];
    const r = new OutlierReporter((results) => sent.push(results), 60_000);
    r.put('10.0.0.1', 80, 200);
    r.put('10.0.0.1', 80, 200);
    r.put('10.0.0.2', 80, 204);
    expect(sent).toEqual([]);
    r.put('10.0.0.1', 80, 503);
    expect(sent).toEqual([
      [
        ['10.0.0.1', 80, [[200, 2], [503, 1]]],
        ['10.0.0.2', 80, [[204, 1]]],
      ],
    ]);
    r.put('10.0.0.1', 80, LOCAL_ORIGIN_TIMEOUT);
    expect(sent.at(-1)).toEqual([['10.0.0.1', 80, [[LOCAL_ORIGIN_TIMEOUT, 1]]]]);
    r.put('10.0.0.3', 80, 200);
    r.close();
    expect(sent.at(-1)).toEqual([['10.0.0.3', 80, [[200, 1]]]]);
    r.close();
    expect(sent).toHaveLength(3);
  });

  it('flushes batched successes after its window', async () => {
    const sent: unknown[] = [];
    const r = new OutlierReporter((results) => sent.push(results), 5);
    r.put('10.0.0.1', 80, 200);
    await expect.poll(() => sent.length).toBe(1);
  });

  it('gives the primary\'s detector the runs as if it had seen each result (consecutive 5xx across runs)', () => {
    const { detector, hosts } = setup({ consecutive_5xx: u(3), max_ejection_percent: u(100) }, 2);
    detector.putResults(hosts[0]!, 503, 2);
    expect(hosts[0]!.ejected).toBe(false);
    detector.putResults(hosts[0]!, 503, 1);
    expect(hosts[0]!.ejected).toBe(true);
  });
});
