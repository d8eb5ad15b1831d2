import { loadProtoRegistry } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { RetryPolicyConfig } from './config-types.js';
import { compileRetryPolicy } from './retry-policy.js';

const registry = loadProtoRegistry();
const TYPE = 'envoy.config.route.v3.RetryPolicy';

function compile(json: object) {
  const read = registry.readJson(TYPE, json);
  if (!read.value) throw new Error(JSON.stringify(read.issues));
  const config = registry.decode<RetryPolicyConfig>(TYPE, registry.encode(TYPE, read.value));
  const issues = new IssueCollector('retry_policy');
  return { policy: compileRetryPolicy(config, issues), issues };
}

describe('retry policy normalization', () => {
  it('fills Envoy defaults', () => {
    const { policy, issues } = compile({ retryOn: '5xx' });
    expect(issues.errors).toEqual([]);
    expect(policy).toMatchObject({
      numRetries: 1,
      hostSelectionRetryMaxAttempts: 1,
      backOffBaseMs: 25,
      backOffMaxMs: 250,
      retryHostPredicates: [],
      previousHosts: false,
      retriableStatusCodes: [],
    });
    expect(policy.perTryTimeoutMs).toBeUndefined();
    expect([...policy.retryOn]).toEqual(['5xx']);
  });

  it("reads Pilot's policy", () => {
    const { policy } = compile({
      retryOn: 'connect-failure, refused-stream,unavailable,cancelled,resource-exhausted,retriable-status-codes,',
      numRetries: 2,
      perTryTimeout: '2.5s',
      retryHostPredicate: [
        { name: 'envoy.retry_host_predicates.previous_hosts', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } },
      ],
      hostSelectionRetryMaxAttempts: '5',
      retriableStatusCodes: [503],
    });
    expect([...policy.retryOn]).toEqual(['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'resource-exhausted', 'retriable-status-codes']);
    expect(policy).toMatchObject({
      numRetries: 2,
      perTryTimeoutMs: 2500,
      previousHosts: true,
      retryHostPredicates: ['envoy.retry_host_predicates.previous_hosts'],
      hostSelectionRetryMaxAttempts: 5,
      retriableStatusCodes: [503],
    });
  });

  it.each([
    [{ baseInterval: '0.1s' }, 100, 1000],
    [{ baseInterval: '0.1s', maxInterval: '0.5s' }, 100, 500],
    [{ baseInterval: '0.0001s' }, 1, 10],
  ])('back-off %j → base %i ms, max %i ms', (retryBackOff, base, max) => {
    const { policy, issues } = compile({ retryOn: '5xx', retryBackOff });
    expect(issues.errors).toEqual([]);
    expect([policy.backOffBaseMs, policy.backOffMaxMs]).toEqual([base, max]);
  });

  it('rejects max_interval below base_interval', () => {
    const { issues } = compile({ retryOn: '5xx', retryBackOff: { baseInterval: '1s', maxInterval: '0.5s' } });
    expect(issues.errors.map((e) => e.path)).toEqual(['retry_policy.retry_back_off.max_interval']);
  });

  it('compiles retriable header matchers', () => {
    const { policy } = compile({ retryOn: 'retriable-headers', retriableHeaders: [{ name: 'x-retry', exactMatch: 'yes' }] });
    expect(policy.retriableHeaders[0]?.matches({ header: (n) => (n === 'x-retry' ? 'yes' : undefined) })).toBe(true);
  });
});
