import { IssueCollector } from '@weft/base';
import type { Cluster__Output } from '@weft/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatStore } from '../stats/stat-store.js';
import { containsInOrder } from './health-probes.js';
import { healthCheckSettings, HealthChecker, type HealthCheckedHost, type HealthCheckSettings, type ProbeOutcome } from './health-checker.js';

type HealthCheck = Cluster__Output['health_checks'][number];
const sec = (seconds: number) => ({ seconds, nanos: 0 });

const base = {
  timeoutMs: 100,
  intervalMs: 1000,
  intervalJitterMs: 0,
  intervalJitterPercent: 0,
  initialJitterMs: 0,
  noTrafficIntervalMs: 1000,
  unhealthyThreshold: 2,
  healthyThreshold: 2,
  check: { kind: 'tcp', send: undefined, receive: [] },
} satisfies HealthCheckSettings;

function checker(settings: HealthCheckSettings = base, outcomes: ProbeOutcome[] = []) {
  const stats = new StatStore();
  const onChange = vi.fn();
  const probe = vi.fn(() => Promise.resolve(outcomes.shift() ?? 'healthy'));
  const hc = new HealthChecker(settings, { probe, onChange, hadTraffic: () => true, stats: stats.scope('cluster.c.health_check'), random: () => 0.5 });
  const host: HealthCheckedHost = { address: '10.0.0.1', port: 80, failedActiveHc: false };
  return { hc, host, stats, onChange, probe };
}

describe('healthCheckSettings', () => {
  it('reads an HTTP check with the default expected status 200', () => {
    const s = healthCheckSettings(
      { timeout: sec(1), interval: sec(5), unhealthy_threshold: { value: 3 }, healthy_threshold: { value: 1 }, http_health_check: { path: '/health', host: '', expected_statuses: [] } } as unknown as HealthCheck,
      new IssueCollector(),
    );
    expect(s).toMatchObject({ timeoutMs: 1000, intervalMs: 5000, noTrafficIntervalMs: 60_000, check: { kind: 'http', path: '/health', expectedStatuses: [[200, 201]] } });
  });

  it('decodes hex TCP payloads', () => {
    const s = healthCheckSettings(
      { timeout: sec(1), interval: sec(5), unhealthy_threshold: { value: 3 }, healthy_threshold: { value: 1 }, tcp_health_check: { send: { text: '70696e67' }, receive: [{ text: '706f6e67' }] } } as unknown as HealthCheck,
      new IssueCollector(),
    );
    expect(s?.check).toEqual({ kind: 'tcp', send: Buffer.from('ping'), receive: [Buffer.from('pong')] });
  });

  it('collects every problem with its path', () => {
    const issues = new IssueCollector('health_checks[0]');
    healthCheckSettings({ tcp_health_check: { send: { text: 'zz' }, receive: [] } } as unknown as HealthCheck, issues);
    expect(issues.errors.map((e) => e.path)).toEqual([
      'health_checks[0].timeout',
      'health_checks[0].interval',
      'health_checks[0].unhealthy_threshold',
      'health_checks[0].healthy_threshold',
      'health_checks[0].tcp_health_check.send',
    ]);
  });
});

describe('HealthChecker', () => {
  afterEach(() => vi.useRealTimers());

  it('starts a new host as failed and passes it after the first success', async () => {
    vi.useFakeTimers();
    const { hc, host, stats, onChange } = checker();
    hc.setHosts([host]);
    expect(host.failedActiveHc).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(host.failedActiveHc).toBe(false);
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(stats.gauge('cluster.c.health_check.healthy').value).toBe(1);
    expect(stats.counter('cluster.c.health_check.attempt').value).toBe(1);
    hc.close();
  });

  it.each<[string, ProbeOutcome[], boolean[]]>([
    ['network failures need unhealthy_threshold in a row', ['healthy', 'network-failure', 'network-failure'], [false, false, true]],
    ['a success resets the failure count', ['healthy', 'network-failure', 'healthy', 'network-failure'], [false, false, false, false]],
    ['an unexpected HTTP status fails at once', ['healthy', 'unhealthy'], [false, true]],
    ['a failed host needs healthy_threshold successes', ['healthy', 'unhealthy', 'healthy', 'healthy'], [false, true, true, false]],
  ])('%s', async (_name, outcomes, failedAfter) => {
    vi.useFakeTimers();
    const { hc, host } = checker(base, [...outcomes]);
    hc.setHosts([host]);
    const seen: boolean[] = [];
    await vi.advanceTimersByTimeAsync(0);
    seen.push(host.failedActiveHc);
    for (let i = 1; i < outcomes.length; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      seen.push(host.failedActiveHc);
    }
    expect(seen).toEqual(failedAfter);
    hc.close();
  });

  it('waits no_traffic_interval between checks until the cluster has traffic, plus jitter', () => {
    const { hc } = checker({ ...base, noTrafficIntervalMs: 60_000, intervalJitterMs: 100, intervalJitterPercent: 10 });
    // hadTraffic is true in checker(); a cluster without traffic uses its own interval.
    expect(hc.nextIntervalMs()).toBe(1000 + 50 + 50);
    const idle = new HealthChecker({ ...base, noTrafficIntervalMs: 60_000 }, { probe: () => Promise.resolve('healthy'), onChange: () => undefined, hadTraffic: () => false, stats: new StatStore() });
    expect(idle.nextIntervalMs()).toBe(60_000);
  });

  it('keeps a staying host state and stops probing removed hosts and after close', async () => {
    vi.useFakeTimers();
    const { hc, host, probe } = checker();
    hc.setHosts([host]);
    await vi.advanceTimersByTimeAsync(0);
    const same: HealthCheckedHost = { address: '10.0.0.1', port: 80, failedActiveHc: true };
    hc.setHosts([same]);
    expect(same.failedActiveHc).toBe(false);
    hc.setHosts([]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe).toHaveBeenCalledTimes(1);
    hc.setHosts([host]);
    hc.close();
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe).toHaveBeenCalledTimes(1);
  });
});

describe('containsInOrder', () => {
  it.each([
    ['abcdef', ['ab', 'ef'], true],
    ['abcdef', ['ef', 'ab'], false],
    ['abcdef', [], true],
  ])('%s contains %j in order: %s', (data, blocks, expected) => {
    expect(containsInOrder(Buffer.from(data), blocks.map((b) => Buffer.from(b)))).toBe(expected);
  });
});
