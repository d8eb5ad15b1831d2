import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminServer, type AdminHandlers } from './admin-server.js';

const unused = () => {
  throw new Error('not used here');
};
const handlers: AdminHandlers = {
  state: () => 'LIVE',
  serverInfo: () => ({ state: 'LIVE' }),
  statsText: unused,
  statsJson: unused,
  prometheus: unused,
  configDump: unused,
  clustersText: unused,
  clustersJson: unused,
  listeners: unused,
  quit: unused,
  setHealthCheckFailed: unused,
  drainListeners: unused,
  setLogLevel: unused,
  logLevel: () => 'info',
};

function fetchText(address: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(`http://${address}${path}`, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('admin /memory', () => {
  const server = new AdminServer(handlers);
  let address = '';
  beforeAll(async () => {
    address = await server.listen('127.0.0.1', 0);
  });
  afterAll(() => server.close());

  it("answers Envoy's Memory message for this process, uint64 fields as strings", async () => {
    const r = await fetchText(address, '/memory');
    expect(r.status).toBe(200);
    const m = JSON.parse(r.body) as Record<string, string>;
    expect(Object.keys(m).sort()).toEqual(['allocated', 'heap_size', 'pageheap_free', 'pageheap_unmapped', 'total_physical_bytes', 'total_thread_cache']);
    for (const v of Object.values(m)) expect(v).toMatch(/^\d+$/);
    const rss = process.memoryUsage().rss;
    // The resident set of this very process, read a moment apart.
    expect(Number(m['total_physical_bytes'])).toBeGreaterThan(rss / 2);
    expect(Number(m['total_physical_bytes'])).toBeLessThan(rss * 2);
    expect(Number(m['allocated'])).toBeGreaterThan(0);
    expect(Number(m['heap_size'])).toBeGreaterThanOrEqual(Number(m['pageheap_free']));
    expect((await fetchText(address, '/')).body.split('\n')).toContain('/memory');
  });
});
