import { Writable } from 'node:stream';
import { loadProtoRegistry } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { AccessLogEntry } from './access-log-entry.js';
import { compileAccessLogs, type AccessLogConfig } from './access-log.js';
import { LogFiles } from './file/log-file.js';

const registry = loadProtoRegistry();
const FILE = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';
const ACCESS_LOG = 'envoy.config.accesslog.v3.AccessLog';

/** An AccessLog as the proxy receives it: encoded, then decoded (oneof discriminators set). */
function fileLog(config: object, filter?: object): AccessLogConfig {
  const log = { name: 'envoy.access_loggers.file', typed_config: registry.pack(FILE, config), ...(filter ? { filter } : {}) };
  return registry.decode<AccessLogConfig>(ACCESS_LOG, registry.encode(ACCESS_LOG, log));
}

function capture() {
  const lines: string[] = [];
  const files = new LogFiles({
    open: () =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(...chunk.toString().split(/(?<=\n)/).filter(Boolean));
          cb();
        },
      }),
  });
  return { files, lines };
}

function compile(list: AccessLogConfig[], files = capture().files) {
  const issues = new IssueCollector();
  const log = compileAccessLogs(list, { unpack: (a) => registry.unpack(a), files }, issues.at('access_log'));
  return { log, errors: issues.errors.map((e) => `${e.path}: ${e.message}`) };
}

const entry = (over: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  startTime: Date.UTC(2020, 0, 2, 3, 4, 5, 6),
  protocol: 'HTTP/1.1',
  requestHeaders: { get: (n) => ({ ':method': 'GET', ':path': '/p', ':authority': 'web', 'x-request-id': 'id-1', 'user-agent': 'curl' })[n] },
  responseHeaders: { get: () => undefined },
  responseCode: 200,
  responseFlags: new Set(),
  bytesReceived: 0,
  bytesSent: 5,
  durationMs: 3,
  upstreamHost: '127.0.0.1:9000',
  ...over,
});

// Istio 1.3's mesh defaults (pilot/pkg/networking/core/v1alpha3/accesslog.go), as Pilot sends them.
const ISTIO_13_TEXT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '"%DYNAMIC_METADATA(istio.mixer:status)%" "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% ' +
  '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
  '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ' +
  '%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME%\n';

describe('access_log', () => {
  it("writes Envoy's default format when none is given", async () => {
    const { files, lines } = capture();
    const { log, errors } = compile([fileLog({ path: '/tmp/x' })], files);
    expect(errors).toEqual([]);
    log!(entry());
    await files.flush();
    expect(lines).toEqual(['[2020-01-02T03:04:05.006Z] "GET /p HTTP/1.1" 200 - 0 5 3 - "-" "curl" "id-1" "web" "127.0.0.1:9000"\n']);
  });

  it("accepts Istio 1.3's text format from log_format.text_format_source", async () => {
    const { files, lines } = capture();
    const { log, errors } = compile([fileLog({ path: '/dev/stdout', log_format: { text_format_source: { inline_string: ISTIO_13_TEXT } } })], files);
    expect(errors).toEqual([]);
    log!(entry({ responseFlags: new Set(['URX', 'UF']), responseCode: 503 }));
    await files.flush();
    expect(lines[0]).toMatch(/^\[2020-01-02T03:04:05\.006Z\] "GET \/p HTTP\/1\.1" 503 UF,URX "-" "-" 0 5 3 - "-" "curl" "id-1" "web" "127\.0\.0\.1:9000" - - - - -\n$/);
  });

  it('writes json_format objects', async () => {
    const { files, lines } = capture();
    const json = { fields: { code: { string_value: '%RESPONSE_CODE%' }, path: { string_value: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%' } } };
    const { log, errors } = compile([fileLog({ path: '/tmp/j', log_format: { json_format: json } })], files);
    expect(errors).toEqual([]);
    log!(entry());
    await files.flush();
    expect(JSON.parse(lines[0]!)).toEqual({ code: '200', path: '/p' });
  });

  it('reads the deprecated format field', async () => {
    const { files, lines } = capture();
    const { log } = compile([fileLog({ path: '/tmp/d', format: '%RESPONSE_CODE% %RESPONSE_FLAGS%\n' })], files);
    log!(entry({ responseCode: 404, responseFlags: new Set(['NR']) }));
    await files.flush();
    expect(lines).toEqual(['404 NR\n']);
  });

  it.each([
    [
      fileLog({ path: '/tmp/x', log_format: { text_format_source: { inline_string: '%START_TIME% %NOPE%\n' } } }),
      'access_log[0].typed_config.log_format.text_format_source.inline_string: unknown command operator %NOPE% at position 13',
    ],
    [fileLog({ path: '/tmp/x', log_format: { json_format: { fields: { a: { string_value: '%BAD(' } } } } }), 'access_log[0].typed_config.log_format.json_format.a: no valid command operator at position 0 ("%BAD(")'],
    [fileLog({ path: '/tmp/x', format: '%X%' }), 'access_log[0].typed_config.format: unknown command operator %X% at position 0'],
    [fileLog({ path: '', format: '%PROTOCOL%' }), 'access_log[0].typed_config.path: a file access log needs a path'],
    [fileLog({ path: '/tmp/x', log_format: { text_format_source: { filename: '/etc/format' } } }), 'access_log[0].typed_config.log_format.text_format_source: only inline_string and inline_bytes are supported (got filename)'],
    [{ name: 'grpc', typed_config: registry.pack('google.protobuf.Empty', {}), filter: null } as AccessLogConfig, 'access_log[0].typed_config: access logger grpc (type.googleapis.com/google.protobuf.Empty) is not supported'],
    [fileLog({ path: '/tmp/x' }, { traceable_filter: {} }), 'access_log[0].filter: access log filter traceable_filter is not supported'],
    [fileLog({ path: '/tmp/x' }, { response_flag_filter: { flags: ['UF', 'XX'] } }), 'access_log[0].filter.response_flag_filter.flags[1]: unknown response flag XX'],
  ])('refuses a bad configuration with its path (%#)', (config, error) => {
    const { log, errors } = compile([config]);
    expect(log).toBeUndefined();
    expect(errors, errors.join('\n')).toContain(error);
  });

  it('logs only what the filter lets through', async () => {
    const { files, lines } = capture();
    const status = { status_code_filter: { comparison: { op: 'GE', value: { default_value: 500, runtime_key: 'k' } } } };
    const flags = { response_flag_filter: { flags: ['NR'] } };
    const { log, errors } = compile([fileLog({ path: '/tmp/f', format: '%RESPONSE_CODE%\n' }, { or_filter: { filters: [status, flags] } })], files);
    expect(errors).toEqual([]);
    for (const [code, flag] of [[200], [503], [404, 'NR'], [404]] as [number, string?][]) log!(entry({ responseCode: code, responseFlags: new Set(flag ? [flag] : []) }));
    await files.flush();
    expect(lines).toEqual(['503\n', '404\n']);
  });

  it('has nothing to run for an empty list', () => {
    expect(compile([]).log).toBeUndefined();
  });
});
