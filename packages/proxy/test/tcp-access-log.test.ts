// tcp_proxy's access_log hook: a finished connection is logged with connection-level operators
// (bytes both ways, duration, upstream host and cluster, addresses) and UF / UH flags.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadProtoRegistry, type TcpProxy__Output } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTcpAccessLog, type AccessLogConfig } from '../src/extensions/access_loggers/access-log.js';
import { LogFiles } from '../src/extensions/access_loggers/file/log-file.js';
import { TcpProxyFilter } from '../src/network/tcp-proxy.js';
import type { UpstreamCluster, UpstreamHost } from '../src/upstream/upstream-cluster.js';
import { closedPort } from './fixtures/static-proxy.js';

const registry = loadProtoRegistry();
const FORMAT = '%UPSTREAM_CLUSTER% %UPSTREAM_HOST% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %PROTOCOL% %RESPONSE_CODE% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%\n';
const closers: (() => void)[] = [];

afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function listen(onConnection: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

function proxyTo(port: number | undefined) {
  const lines: string[] = [];
  const files = new LogFiles({
    open: () =>
      new Writable({
        write(chunk: Buffer, _e, cb) {
          lines.push(...chunk.toString().split(/(?<=\n)/).filter(Boolean));
          cb();
        },
      }),
  });
  const access: AccessLogConfig[] = [
    { name: 'envoy.access_loggers.file', filter: null, typed_config: registry.pack('envoy.extensions.access_loggers.file.v3.FileAccessLog', { path: '/tcp', format: FORMAT }) as AccessLogConfig['typed_config'] },
  ];
  const issues = new IssueCollector();
  const onClose = compileTcpAccessLog(access, { unpack: (a) => registry.unpack(a), files }, issues);
  expect(issues.errors).toEqual([]);
  const host = port === undefined ? undefined : ({ address: '127.0.0.1', port, begin: () => undefined, end: () => undefined, recordResult: () => undefined } as unknown as UpstreamHost);
  const counters = { upstream_cx_total: { value: 0 }, upstream_cx_connect_fail: { value: 0 }, upstream_cx_overflow: { value: 0 }, upstream_cx_connect_attempts_exceeded: { value: 0 } };
  const cluster = { name: 'echo', counters, chooseHost: () => host, tryStartConnection: () => true, finishConnection: () => undefined } as unknown as UpstreamCluster;
  const filter = new TcpProxyFilter({ config: { cluster: 'echo', cluster_specifier: 'cluster' } as unknown as TcpProxy__Output, clusters: { get: () => cluster }, ...(onClose ? { onClose } : {}) });
  return { filter, lines, files };
}

function exchange(port: number, message: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(message));
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      got += d;
      if (got.length >= message.length + 2) s.end();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
  });
}

describe('tcp_proxy access log', () => {
  it('logs bytes both ways and the upstream of a proxied connection', async () => {
    const upstream = await listen((s) => s.on('data', (d) => s.write(`e:${d.toString()}`)));
    const { filter, lines, files } = proxyTo(upstream);
    const front = await listen((s) => filter.onConnection(s));
    expect(await exchange(front, 'hello')).toBe('e:hello');
    await expect.poll(async () => (await files.flush(), lines.length)).toBe(1);
    expect(lines[0]).toBe(`echo 127.0.0.1:${upstream} - 5 7 - - 127.0.0.1\n`);
  });

  it('logs UF when the upstream refuses the connection, and UH without a host', async () => {
    const dead = proxyTo(await closedPort());
    const none = proxyTo(undefined);
    await exchange(await listen((s) => dead.filter.onConnection(s)), 'x');
    await exchange(await listen((s) => none.filter.onConnection(s)), 'x');
    await expect.poll(async () => (await Promise.all([dead.files.flush(), none.files.flush()]), dead.lines.length + none.lines.length)).toBe(2);
    expect(dead.lines[0]).toMatch(/^echo 127\.0\.0\.1:\d+ UF [01] 0 - - 127\.0\.0\.1\n$/);
    expect(none.lines[0]).toBe('echo - UH 0 0 - - 127.0.0.1\n');
  });
});
