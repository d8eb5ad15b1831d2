import type { HttpConnectionManager__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { http2SettingsFrom } from './http2-settings.js';

type Options = NonNullable<HttpConnectionManager__Output['http2_protocol_options']>;
const o = (fields: object) => fields as unknown as Options;

describe('http2_protocol_options', () => {
  it.each([
    [null, {}],
    [o({}), {}],
    [o({ max_concurrent_streams: { value: 1073741824 } }), { maxConcurrentStreams: 1073741824 }],
    [o({ initial_stream_window_size: { value: 65536 }, initial_connection_window_size: { value: 1048576 } }), { initialStreamWindowSize: 65536, initialConnectionWindowSize: 1048576 }],
    [o({ connection_keepalive: { interval: { seconds: '30', nanos: 0 }, timeout: { seconds: '5', nanos: 0 } } }), { keepalive: { intervalMs: 30_000, timeoutMs: 5_000 } }],
    [o({ connection_keepalive: { interval: { seconds: '0', nanos: 500_000_000 }, timeout: null } }), { keepalive: { intervalMs: 500, timeoutMs: 500 } }],
  ])('%j → %j', (options, expected) => {
    expect(http2SettingsFrom(options)).toEqual(expected);
  });
});
