// %RESPONSE_FLAGS%: Envoy prints the flags that are set in one fixed order (the order of its
// ResponseFlag enum), joined by commas, and `-` when none is set — e.g. `UF,URX` for a connect
// failure whose retries ran out. Flags unknown to that order are appended as they came.

/** Envoy's short flag names, in the order its ResponseFlagUtils prints them. */
export const RESPONSE_FLAG_ORDER: readonly string[] = [
  'LH', // failed local health check
  'UH', // no healthy upstream
  'UT', // upstream request timeout
  'LR', // local reset
  'UR', // upstream remote reset
  'UF', // upstream connection failure
  'UC', // upstream connection termination
  'UO', // upstream overflow (circuit breaker)
  'NR', // no route
  'DI', // delay injected
  'FI', // fault injected
  'RL', // rate limited
  'UAEX', // unauthorized by ext_authz
  'RLSE', // rate limit service error
  'DC', // downstream connection termination
  'URX', // upstream retry limit exceeded
  'SI', // stream idle timeout
  'IH', // invalid x-envoy-* request headers
  'DPE', // downstream protocol error
  'UMSDR', // upstream max stream duration reached
  'RFCF', // response from cache filter
  'NFCF', // no filter config found
  'DT', // duration timeout
  'UPE', // upstream protocol error
  'NC', // no cluster found
  'OM', // overload manager
];

const RANK = new Map(RESPONSE_FLAG_ORDER.map((f, i) => [f, i]));

/** `-` for none; otherwise the flags in Envoy's order, comma-separated. */
export function formatResponseFlags(flags: ReadonlySet<string>): string {
  if (flags.size === 0) return '-';
  if (flags.size === 1) return flags.values().next().value as string;
  return [...flags].sort((a, b) => (RANK.get(a) ?? RESPONSE_FLAG_ORDER.length) - (RANK.get(b) ?? RESPONSE_FLAG_ORDER.length)).join(',');
}
