import { loadProtoRegistry } from '@weft/api';
import { describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '../extensions/access_loggers/access-log-entry.js';
import { compileHeaderFormat, type HeaderFormatInput } from './header-format.js';
import { routeConfigurationFromJson } from './route-config-json.js';
import { compileRouteConfiguration } from './route-table.js';

const registry = loadProtoRegistry();

const entry: AccessLogEntry = {
  startTime: Date.UTC(2020, 0, 2, 3, 4, 5),
  protocol: 'HTTP/2',
  requestHeaders: { get: (n) => ({ 'x-user': 'jason', ':path': '/p' })[n] },
  responseFlags: new Set(),
  bytesReceived: 0,
  bytesSent: 0,
  downstreamRemoteAddress: { ip: '::ffff:10.1.2.3', port: 5555 },
  downstreamLocalAddress: { ip: '10.0.0.1', port: 80 },
};

const input: HeaderFormatInput = {
  entry,
  upstreamRemoteAddress: '10.9.9.9:8080',
  upstreamMetadata: (f) => (f === 'envoy.lb' ? { version: 'v2', weight: 3 } : undefined),
};

function rcOf(json: object) {
  const rc = routeConfigurationFromJson(registry, json);
  if (!rc.value) throw new Error(JSON.stringify(rc.errors));
  return rc.value;
}

function format(text: string): string {
  const c = compileHeaderFormat(text);
  expect(c.errors).toEqual([]);
  return c.format!(input);
}

describe('header value formats', () => {
  it.each([
    ['%DOWNSTREAM_REMOTE_ADDRESS%', '10.1.2.3:5555'],
    ['%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%', '10.1.2.3'],
    ['%DOWNSTREAM_LOCAL_ADDRESS%', '10.0.0.1:80'],
    ['%UPSTREAM_REMOTE_ADDRESS%', '10.9.9.9:8080'],
    ['%PROTOCOL%', 'HTTP/2'],
    ['%REQ(x-user)%', 'jason'],
    ['%REQ(x-missing)%', ''],
    ['%START_TIME(%Y)%', '2020'],
    ['%UPSTREAM_METADATA(["envoy.lb", "version"])%', 'v2'],
    ['%UPSTREAM_METADATA(["envoy.lb", "weight"])%', '3'],
    ['%UPSTREAM_METADATA(["envoy.lb", "nope"])%', ''],
    ['a-%PROTOCOL%-100%%', 'a-HTTP/2-100%'],
  ])('%s → %s', (text, expected) => {
    expect(format(text)).toBe(expected);
  });

  it.each(['%NOT_AN_OPERATOR%', '%PROTOCOL', '%UPSTREAM_METADATA(envoy.lb)%', '%UPSTREAM_METADATA(["only-one"])%', '%REQ%'])('rejects %s', (text) => {
    expect(compileHeaderFormat(text).errors).not.toEqual([]);
  });

  it('NACKs a route configuration with an unknown operator, naming the header value', () => {
    const rc = rcOf({
      name: 'r',
      virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' }, request_headers_to_add: [{ header: { key: 'x', value: '%BOGUS%' } }] }] }],
    });
    const r = compileRouteConfiguration(rc);
    expect(r.errors.map((e) => e.path)).toEqual(['virtual_hosts[0].routes[0].request_headers_to_add[0].header.value']);
  });

  it('NACKs an internal_only_headers entry that is not a header name', () => {
    const rc = rcOf({ name: 'r', internal_only_headers: ['x-ok', 'bad header'], virtual_hosts: [] });
    const r = compileRouteConfiguration(rc);
    expect(r.errors.map((e) => e.path)).toEqual(['internal_only_headers[1]']);
    expect(compileRouteConfiguration(rcOf({ name: 'r', internal_only_headers: ['X-Ok'], virtual_hosts: [] })).value?.internalOnlyHeaders).toEqual(['x-ok']);
  });
});
