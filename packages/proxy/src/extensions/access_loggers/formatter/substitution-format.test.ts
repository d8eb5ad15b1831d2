import { describe, expect, it } from 'vitest';
import type { AccessLogEntry, HeaderLookup } from '../access-log-entry.js';
import { compileJsonFormat, compileTextFormat, type StructLike } from './substitution-format.js';

function headers(h: Record<string, string>): HeaderLookup {
  return { get: (n) => h[n] };
}

const START = Date.UTC(2016, 3, 15, 20, 17, 0, 310);

const entry: AccessLogEntry = {
  startTime: START,
  protocol: 'HTTP/2',
  requestHeaders: headers({
    ':method': 'POST',
    ':path': '/api/v1/locations?limit=2',
    ':authority': 'locations',
    'x-forwarded-for': '10.0.35.28',
    'user-agent': 'nsq2http',
    'x-request-id': 'cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2',
    'x-empty': '',
  }),
  responseHeaders: headers({ 'x-envoy-upstream-service-time': '100', 'content-type': 'application/json' }),
  responseCode: 204,
  responseCodeDetails: 'via_upstream',
  responseFlags: new Set(),
  bytesReceived: 154,
  bytesSent: 0,
  durationMs: 226,
  responseDurationMs: 120,
  upstreamHost: '10.0.2.1:80',
  upstreamCluster: 'outbound|80||locations.default.svc.cluster.local',
  downstreamRemoteAddress: { ip: '::ffff:10.0.0.9', port: 51000 },
  downstreamLocalAddress: { ip: '::1', port: 8080 },
  routeName: 'default',
};

const tcpEntry: AccessLogEntry = { startTime: START, responseFlags: new Set(['UF']), bytesReceived: 10, bytesSent: 20, durationMs: 5 };

function text(format: string, e: AccessLogEntry = entry): string {
  const r = compileTextFormat(format);
  expect(r.errors).toEqual([]);
  return r.formatter!.format(e);
}

describe('text formats', () => {
  it.each([
    ['%START_TIME%', '2016-04-15T20:17:00.310Z'],
    ['%START_TIME(%Y/%m/%d %H:%M:%S)%', '2016/04/15 20:17:00'],
    ['%START_TIME(%s.%3f)%', '1460751420.310'],
    ['%REQ(:METHOD)%', 'POST'],
    ['%REQ(:PATH)%', '/api/v1/locations?limit=2'],
    ['%REQ(:AUTHORITY)%', 'locations'],
    ['%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%', '/api/v1/locations?limit=2'],
    ['%REQ(User-Agent)%', 'nsq2http'],
    ['%REQ(X-MISSING)%', '-'],
    ['%REQ(X-EMPTY)%', '-'],
    ['%REQ(:PATH):8%', '/api/v1/'],
    ['%REQ(X-MISSING?USER-AGENT):3%', 'nsq'],
    ['%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%', '100'],
    ['%RESP(CONTENT-TYPE):11%', 'application'],
    ['%TRAILER(GRPC-STATUS)%', '-'],
    ['%PROTOCOL%', 'HTTP/2'],
    ['%RESPONSE_CODE%', '204'],
    ['%RESPONSE_CODE_DETAILS%', 'via_upstream'],
    ['%RESPONSE_FLAGS%', '-'],
    ['%BYTES_RECEIVED%', '154'],
    ['%BYTES_SENT%', '0'],
    ['%DURATION%', '226'],
    ['%RESPONSE_DURATION%', '120'],
    ['%RESPONSE_TX_DURATION%', '106'],
    ['%UPSTREAM_HOST%', '10.0.2.1:80'],
    ['%UPSTREAM_CLUSTER%', 'outbound|80||locations.default.svc.cluster.local'],
    ['%UPSTREAM_LOCAL_ADDRESS%', '-'],
    ['%UPSTREAM_TRANSPORT_FAILURE_REASON%', '-'],
    ['%DOWNSTREAM_REMOTE_ADDRESS%', '10.0.0.9:51000'],
    ['%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', '10.0.0.9'],
    ['%DOWNSTREAM_LOCAL_ADDRESS%', '[::1]:8080'],
    ['%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%', '::1'],
    ['%DOWNSTREAM_LOCAL_PORT%', '8080'],
    ['%REQUESTED_SERVER_NAME%', '-'],
    ['%ROUTE_NAME%', 'default'],
    ['%DYNAMIC_METADATA(istio.mixer:status)%', '-'],
  ])('%s → %s', (format, expected) => {
    expect(text(format)).toBe(expected);
  });

  it('prints the TCP operators of a connection, and `-` for HTTP-only ones', () => {
    expect(text('%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESPONSE_FLAGS% %PROTOCOL% %RESPONSE_CODE% %REQ(:PATH)%', tcpEntry)).toBe('10 20 5 UF - - -');
  });

  it('keeps literals around operators and the newline of the format', () => {
    expect(text('[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE%\n')).toBe(
      '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations?limit=2 HTTP/2" 204\n',
    );
  });

  it('prints nothing instead of `-` with omit_empty_values', () => {
    const r = compileTextFormat('a=%REQ(X-MISSING)% b=%UPSTREAM_HOST%', { omitEmptyValues: true });
    expect(r.formatter!.format(entry)).toBe('a= b=10.0.2.1:80');
  });

  it.each([
    ['%NOT_AN_OPERATOR%', 'unknown command operator %NOT_AN_OPERATOR% at position 0'],
    ['abc %X-FOO%', 'no valid command operator at position 4'],
    ['%REQ%', '%REQ(...)% needs an argument at position 0'],
    ['%PROTOCOL(x)%', '%PROTOCOL% takes no argument at position 0'],
    ['%REQ(A?B?C)%', 'more than one alternative header'],
    ['%REQ(?B)%', 'a header name is required'],
    ['100%', 'no valid command operator at position 3'],
    ['%%', 'no valid command operator at position 0'],
  ])('refuses %j', (format, message) => {
    const r = compileTextFormat(format);
    expect(r.formatter).toBeUndefined();
    expect(r.errors.map((e) => e.message).join('\n')).toContain(message);
  });

  it('reports every bad operator of a format, with its position', () => {
    const r = compileTextFormat('%FOO% ok %BAR%');
    expect(r.errors.map((e) => e.message)).toEqual(['unknown command operator %FOO% at position 0', 'unknown command operator %BAR% at position 9']);
  });
});

describe('JSON formats', () => {
  const struct = (fields: Record<string, string>): StructLike => ({
    fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { kind: 'string_value', string_value: v }])),
  });

  it('renders one object per line with string values, `-` for missing ones', () => {
    const r = compileJsonFormat(struct({ code: '%RESPONSE_CODE%', path: '%REQ(:PATH)%', missing: '%REQ(X-MISSING)%', mixed: 'took %DURATION%ms' }));
    const line = r.formatter!.format(entry);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({ code: '204', path: '/api/v1/locations?limit=2', missing: '-', mixed: 'took 226ms' });
  });

  it('keeps numbers of a single numeric operator in a typed format, and null for missing', () => {
    const r = compileJsonFormat(struct({ code: '%RESPONSE_CODE%', duration: '%DURATION%', flags: '%RESPONSE_FLAGS%', rd: '%RESPONSE_DURATION%' }), { typed: true });
    expect(JSON.parse(r.formatter!.format({ ...entry, responseDurationMs: undefined }))).toEqual({ code: 204, duration: 226, flags: '-', rd: null });
  });

  it('leaves out empty keys with omit_empty_values, and nests objects', () => {
    const r = compileJsonFormat(
      {
        fields: {
          a: { kind: 'string_value', string_value: '%REQ(X-MISSING)%' },
          nested: { kind: 'struct_value', struct_value: struct({ host: '%UPSTREAM_HOST%' }) },
          n: { kind: 'number_value', number_value: 3 },
        },
      },
      { omitEmptyValues: true },
    );
    expect(JSON.parse(r.formatter!.format(entry))).toEqual({ nested: { host: '10.0.2.1:80' }, n: 3 });
  });

  it('escapes values', () => {
    const r = compileJsonFormat(struct({ ua: '%REQ(USER-AGENT)%' }));
    expect(r.formatter!.format({ ...entry, requestHeaders: headers({ 'user-agent': 'a"b\\c\n' }) })).toBe('{"ua":"a\\"b\\\\c\\n"}\n');
  });

  it('reports bad operators under their key', () => {
    const r = compileJsonFormat({ fields: { ok: { kind: 'string_value', string_value: '%PROTOCOL%' }, bad: { kind: 'string_value', string_value: '%NOPE%' }, deep: { kind: 'struct_value', struct_value: struct({ x: '%ALSO_NOPE%' }) } } });
    expect(r.errors).toEqual([
      { path: 'bad', message: 'unknown command operator %NOPE% at position 0' },
      { path: 'deep.x', message: 'unknown command operator %ALSO_NOPE% at position 0' },
    ]);
  });
});
