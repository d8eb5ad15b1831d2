// The file access log end to end: a ProxyServer with a static listener whose HCM logs (JSON and
// Envoy's default text format) to temp files, in front of a real upstream, a cluster without
// endpoints and an endpoint whose port is closed. Each line carries Envoy's response flags.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, FILE_LOG_TYPE, request, startProxy, startUpstream, type ProxyFixture } from './fixtures/static-proxy.js';

const JSON_FIELDS = {
  start: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  code: '%RESPONSE_CODE%',
  details: '%RESPONSE_CODE_DETAILS%',
  flags: '%RESPONSE_FLAGS%',
  received: '%BYTES_RECEIVED%',
  sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  route: '%ROUTE_NAME%',
  remote: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%',
  local: '%DOWNSTREAM_LOCAL_ADDRESS%',
  content_type: '%RESP(CONTENT-TYPE):4%',
};

let dir = '';
let proxy: ProxyFixture;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let upstreamPort = 0;
let deadPort = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-access-log-'));
  upstream = await startUpstream();
  upstreamPort = upstream.port;
  deadPort = await closedPort();
  proxy = await startProxy({
    clusters: { web: [upstreamPort], empty: [], dead: [deadPort] },
    routes: [
      { name: 'web-route', prefix: '/web', cluster: 'web' },
      { name: 'empty-route', prefix: '/empty', cluster: 'empty' },
      { name: 'dead-route', prefix: '/dead', cluster: 'dead' },
    ],
    hcm: {
      access_log: [
        {
          name: 'envoy.access_loggers.file',
          typed_config: { '@type': FILE_LOG_TYPE, path: join(dir, 'access.json'), log_format: { json_format: JSON_FIELDS } },
        },
        { name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_LOG_TYPE, path: join(dir, 'access.log') } },
      ],
    },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

async function lines(file: string, atLeast: number): Promise<string[]> {
  let got: string[] = [];
  await expect
    .poll(async () => {
      got = (await readFile(join(dir, file), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      return got.length;
    })
    .toBeGreaterThanOrEqual(atLeast);
  return got;
}

async function lastJson(requestId: string): Promise<Record<string, string>> {
  let found: Record<string, string> | undefined;
  await expect
    .poll(async () => {
      const all = (await readFile(join(dir, 'access.json'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      found = all.map((l) => JSON.parse(l) as Record<string, string>).find((e) => e['request_id'] === requestId);
      return found !== undefined;
    })
    .toBe(true);
  return found!;
}

describe('file access log', () => {
  it('logs a proxied 200 with its upstream, route, bytes and timing', async () => {
    const res = await request(proxy.port, '/web/hello?x=1', { method: 'POST', body: 'abcdef', headers: { 'x-request-id': 'req-200', host: 'shop.example' } });
    expect(res.status).toBe(200);
    const e = await lastJson('req-200');
    expect(e).toMatchObject({
      method: 'POST',
      path: '/web/hello?x=1',
      protocol: 'HTTP/1.1',
      code: '200',
      details: 'via_upstream',
      flags: '-',
      received: '6',
      sent: '5',
      authority: 'shop.example',
      upstream_host: `127.0.0.1:${upstreamPort}`,
      upstream_cluster: 'web',
      route: 'web-route',
      remote: '127.0.0.1',
      local: `127.0.0.1:${proxy.port}`,
      content_type: 'text',
    });
    expect(e['start']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Number(e['duration'])).toBeGreaterThanOrEqual(0);
    expect(e['service_time']).toMatch(/^\d+$/);
  });

  it('logs 404 NR when no route matches', async () => {
    expect((await request(proxy.port, '/nowhere', { headers: { 'x-request-id': 'req-nr' } })).status).toBe(404);
    expect(await lastJson('req-nr')).toMatchObject({ code: '404', flags: 'NR', details: 'route_not_found', route: '-', upstream_host: '-', upstream_cluster: '-', service_time: '-' });
  });

  it('logs 503 UH for a cluster without endpoints', async () => {
    expect((await request(proxy.port, '/empty', { headers: { 'x-request-id': 'req-uh' } })).status).toBe(503);
    expect(await lastJson('req-uh')).toMatchObject({ code: '503', flags: 'UH', details: 'no_healthy_upstream', upstream_cluster: 'empty', upstream_host: '-', route: 'empty-route' });
  });

  it('logs 503 UF when the endpoint refuses the connection', async () => {
    expect((await request(proxy.port, '/dead', { headers: { 'x-request-id': 'req-uf' } })).status).toBe(503);
    expect(await lastJson('req-uf')).toMatchObject({
      code: '503',
      flags: 'UF',
      details: 'upstream_reset_before_response_started{connection_failure}',
      upstream_cluster: 'dead',
      upstream_host: `127.0.0.1:${deadPort}`,
    });
  });

  it('logs 0 DC when the client goes away before the response', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port }, () => socket.write('GET /web/slow HTTP/1.1\r\nHost: x\r\nX-Request-Id: req-dc\r\n\r\n'));
    socket.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    expect(await lastJson('req-dc')).toMatchObject({ code: '0', flags: 'DC', details: 'downstream_remote_disconnect', sent: '0', upstream_cluster: 'web' });
  });

  it('logs HTTP/2 streams with their protocol and bytes', async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
    const stream = session.request({ ':method': 'POST', ':path': '/web/h2', 'x-request-id': 'req-h2' });
    stream.end('0123456789');
    stream.resume();
    await new Promise((r) => stream.on('end', r));
    session.close();
    expect(await lastJson('req-h2')).toMatchObject({ protocol: 'HTTP/2', method: 'POST', code: '200', flags: '-', received: '10', sent: '5', route: 'web-route' });
  });

  it("writes Envoy's default text format to a second file", async () => {
    await request(proxy.port, '/web/text', { headers: { 'x-request-id': 'req-text', 'user-agent': 'weft-test' } });
    const text = await lines('access.log', 1);
    const line = text.find((l) => l.includes('req-text'));
    expect(line).toMatch(new RegExp(`^\\[[^\\]]+\\] "GET /web/text HTTP/1\\.1" 200 - 0 5 \\d+ \\d+ "-" "weft-test" "req-text" "127\\.0\\.0\\.1:${proxy.port}" "127\\.0\\.0\\.1:${upstreamPort}"$`));
    expect(text.some((l) => / 404 NR /.test(l))).toBe(true);
    expect(text.some((l) => / 503 UH /.test(l))).toBe(true);
    expect(text.some((l) => / 503 UF /.test(l))).toBe(true);
  });

  it('refuses a listener whose access log has an unknown operator, naming its path', async () => {
    await expect(
      startProxy({
        clusters: { web: [upstreamPort] },
        routes: [{ name: 'r', prefix: '/', cluster: 'web' }],
        hcm: { access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': FILE_LOG_TYPE, path: join(dir, 'x.log'), format: '%WHAT%' } }] },
      }),
    ).rejects.toThrow(/filter_chains\[0\]\.filters\[0\]\.typed_config\.access_log\[0\]\.typed_config\.format: unknown command operator %WHAT%/);
  });
});
