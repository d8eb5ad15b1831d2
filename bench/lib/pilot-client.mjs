#!/usr/bin/env node
// One client process of the Pilot benchmark: many simulated Envoy-like proxies, each with its own ADS
// stream (SotW or Delta), spread over several gRPC connections. Each proxy asks for CDS and LDS
// (wildcard), then for the EDS and RDS names those name, and ACKs everything. It reports on stdout,
// one JSON line per event: every response (type, resources, bytes), when the proxy first held the
// whole workload ("conv"), and when each planned change first reached it ("seen", detected by
// content). Times are this machine's wall clock in ms (performance.timeOrigin + now()), comparable
// with the parent's. Usage: node pilot-client.mjs <config.json> (written by pilot-bench.mjs).
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { performance } from 'node:perf_hooks';
import { clusterInfo, decodeDeltaResponse, decodeResponse, encodeDeltaRequest, encodeNode, encodeRequest, listenerInfo, resourceName, routeWeight, SHORT, TYPES } from './pilot-wire.mjs';

const SOTW_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const DELTA_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const now = () => performance.timeOrigin + performance.now();

// ---- output: lines batched per event-loop turn (the timestamps are taken when things happen) ----
let out = [];
function emit(event) {
  if (out.length === 0) setImmediate(flush);
  out.push(JSON.stringify(event));
}
function flush() {
  if (out.length === 0) return;
  process.stdout.write(`${out.join('\n')}\n`);
  out = [];
}

// ---- what every proxy must end up holding ----
/** Interned names: every proxy's sets and lists share one string per name. */
const interned = new Map();
const intern = (s) => {
  const got = interned.get(s);
  if (got !== undefined) return got;
  interned.set(s, s);
  return s;
};
const expectedIndex = new Map(config.edsNames.map((n, i) => [intern(n), i]));
const endpointMarker = { cluster: config.markers.endpoint.cluster, changes: config.markers.endpoint.changes.map((c) => ({ id: c.id, bytes: Buffer.from(c.address) })) };
const routeMarker = { clusterBytes: Buffer.from(config.markers.route.cluster), initialWeight: config.markers.route.initialWeight, changes: config.markers.route.changes };

// ---- what a response holds, decoded once per distinct content ----
// Most proxies get byte-identical resources; decoding 1,200 Clusters for each of 2,000 proxies would
// cost the client more CPU than the server it measures. The resources' bytes key a small cache.
const ANALYSES_KEPT = 32;
const analyses = new Map();

/** The bytes from the first resource's value to the last one's (they lie in one buffer, in order). */
function spanOf(values) {
  const first = values[0];
  const last = values[values.length - 1];
  return Buffer.from(first.buffer, first.byteOffset, last.byteOffset + last.length - first.byteOffset);
}

/** A cheap key for a span: its length and 32 words spread over it; equal keys are told apart by the bytes. */
function sampleKey(span) {
  let h = span.length;
  if (span.length >= 4) {
    const last = span.length - 4;
    for (let k = 0; k < 32; k++) h = Math.imul(h ^ span.readUInt32LE(Math.floor((k * last) / 31)), 0x9e3779b1);
  }
  return h >>> 0;
}

function analyzeUncached(type, values) {
  if (type === 'CDS') {
    const clusters = values.map((v) => {
      const c = clusterInfo(v);
      return { name: intern(c.name), edsName: c.edsName === undefined ? null : intern(c.edsName) };
    });
    const eds = clusters.filter((c) => c.edsName !== null).map((c) => c.edsName).sort();
    return { clusters, eds, expected: eds.filter((n) => expectedIndex.has(n)).length };
  }
  if (type === 'LDS') {
    const listeners = values.map((v) => ({ ...listenerInfo(v) }));
    return { listeners, routes: [...new Set(listeners.flatMap((l) => l.routes))].sort() };
  }
  if (type === 'EDS') {
    return {
      clas: values.map((v) => {
        const name = intern(resourceName(v));
        const markers = name === endpointMarker.cluster ? endpointMarker.changes.filter((c) => v.indexOf(c.bytes) >= 0).map((c) => c.id) : [];
        return { name, index: expectedIndex.get(name) ?? -1, markers };
      }),
    };
  }
  if (type === 'RDS') return { routes: values.map((v) => ({ name: resourceName(v), weight: routeWeight(v, routeMarker.clusterBytes) })) };
  return {};
}

/**
 * The analysis of a response's resources, from the cache when the same bytes were seen recently:
 * keyed by type, count and a sample of the bytes, and confirmed byte for byte (a compare costs a
 * fraction of hashing 600 KB, which took a seventh of these processes' CPU in a route change).
 */
function analyze(type, values) {
  if (values.length === 0) return analyzeUncached(type, values);
  const span = spanOf(values);
  const key = `${type}|${values.length}|${sampleKey(span)}`;
  const candidates = analyses.get(key) ?? [];
  for (const c of candidates) if (c.bytes.equals(span)) return c.analysis;
  const analysis = analyzeUncached(type, values);
  candidates.push({ bytes: Buffer.from(span), analysis });
  if (candidates.length > 8) candidates.shift();
  analyses.delete(key);
  analyses.set(key, candidates);
  if (analyses.size > ANALYSES_KEPT) analyses.delete(analyses.keys().next().value);
  return analysis;
}

// ---- gRPC connections: plain HTTP/2, as Envoy speaks it ----
// Envoy has its own gRPC codec; a grpc-js channel per connection cost these processes more CPU than the
// server they measure (copying each 600 KB message while reassembling it, and its call machinery).
// Each connection is one HTTP/2 session; each proxy one stream on it with gRPC framing.
// Envoy's default HTTP/2 windows are 256 MiB; a 64 KiB window would make big CDS responses crawl.
const WINDOW = 256 * 1024 * 1024;

let scratch = Buffer.allocUnsafe(1 << 20);

/** `chunks` (`bytes` in all) as one buffer: the process's scratch buffer, grown as needed. */
function gather(chunks, bytes) {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, 2 * scratch.length));
  let at = 0;
  for (const c of chunks) at += c.copy(scratch, at);
  return scratch.subarray(0, bytes);
}

/** One ADS call on an HTTP/2 session: write() frames a request; 'data' gives each response message. */
class AdsCall extends EventEmitter {
  constructor(session, path) {
    super();
    this.req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    this.pending = [];
    this.pendingBytes = 0;
    this.ended = false;
    const status = (h) => {
      if (h['grpc-status'] === undefined || this.ended) return;
      this.ended = true;
      const code = Number(h['grpc-status']);
      if (code === 0) this.emit('end');
      else this.emit('error', new Error(`${code}: ${decodeURIComponent(String(h['grpc-message'] ?? ''))}`));
    };
    this.req.on('response', status);
    this.req.on('trailers', status);
    this.req.on('data', (chunk) => this.read(chunk));
    this.req.on('error', (e) => {
      if (!this.ended) this.emit('error', e);
      this.ended = true;
    });
    this.req.on('close', () => {
      if (!this.ended && !stopping) this.emit('error', new Error(`stream closed without a status (code ${this.req.rstCode})`));
      this.ended = true;
    });
  }

  /**
   * Splits the body into messages: one wholly inside a chunk is passed without a copy, one spread over
   * chunks is gathered into a scratch buffer shared by every call of the process (messages are handled
   * to the end synchronously, and nothing keeps their bytes), not into a new 600 KB buffer each time.
   */
  read(chunk) {
    let buf = chunk;
    let fromScratch = false;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < 5) return;
      const head = this.pending[0].length >= 5 ? this.pending[0] : Buffer.concat(this.pending);
      if (this.pendingBytes < 5 + head.readUInt32BE(1)) return;
      buf = gather(this.pending, this.pendingBytes);
      fromScratch = true;
      this.pending = [];
      this.pendingBytes = 0;
    }
    let pos = 0;
    while (buf.length - pos >= 5) {
      const length = buf.readUInt32BE(pos + 1);
      if (buf.length - pos - 5 < length) break;
      this.emit('data', buf.subarray(pos + 5, pos + 5 + length));
      pos += 5 + length;
    }
    if (pos < buf.length) {
      // What follows stays for the next read: out of the scratch buffer, which the next gather reuses.
      const rest = buf.subarray(pos);
      this.pending = [fromScratch ? Buffer.from(rest) : rest];
      this.pendingBytes = rest.length;
    }
  }

  write(message) {
    const header = Buffer.allocUnsafe(5);
    header[0] = 0;
    header.writeUInt32BE(message.length, 1);
    this.req.write(Buffer.concat([header, message]));
  }

  cancel() {
    this.ended = true;
    this.req.close();
  }
}

const clients = Array.from({ length: config.connections }, () => {
  const session = http2.connect(`http://${config.address}`, { settings: { initialWindowSize: WINDOW }, maxSessionMemory: Number.MAX_SAFE_INTEGER });
  session.on('connect', () => session.setLocalWindowSize(WINDOW));
  session.on('error', () => undefined);
  return { makeBidiStreamRequest: (path) => new AdsCall(session, path), close: () => session.close() };
});

class Proxy {
  constructor(spec, client) {
    this.p = spec.index;
    this.node = encodeNode({ id: spec.nodeId, cluster: spec.cluster, metadata: spec.metadata });
    this.client = client;
    this.started = 0;
    this.converged = false;
    this.claSeen = new Uint8Array(config.edsNames.length);
    this.claCount = 0;
    this.cdsExpected = 0;
    this.lds = false;
    this.routes = [];
    this.rdsSeen = new Set();
    this.initialRoute = false;
    this.seen = new Set();
    this.closed = false;
  }

  open(path) {
    this.started = now();
    this.stream = this.client.makeBidiStreamRequest(path);
    this.stream.on('data', (buf) => {
      try {
        this.onResponse(buf);
      } catch (e) {
        emit({ e: 'err', p: this.p, t: now(), msg: `client: ${e instanceof Error ? e.stack : String(e)}` });
      }
    });
    this.stream.on('error', (e) => this.closedWith(e.message));
    this.stream.on('end', () => this.closedWith('stream ended by the server'));
  }

  closedWith(msg) {
    if (this.closed || stopping) return;
    this.closed = true;
    emit({ e: 'err', p: this.p, t: now(), msg });
  }

  send(buf) {
    if (!this.closed) this.stream.write(buf);
  }

  /** Marks the CLAs of a response; reports the endpoint change markers found in them. */
  onClas(analysis, t) {
    for (const c of analysis.clas) {
      if (c.index >= 0 && this.claSeen[c.index] === 0) {
        this.claSeen[c.index] = 1;
        this.claCount++;
      }
      for (const id of c.markers) if (!this.seen.has(id)) this.see(id, t);
    }
  }

  onRoutes(analysis, t) {
    for (const { name, weight } of analysis.routes) {
      this.rdsSeen.add(name);
      if (weight === undefined) continue;
      if (weight === routeMarker.initialWeight) this.initialRoute = true;
      for (const c of routeMarker.changes) if (c.weight === weight && !this.seen.has(c.id)) this.see(c.id, t);
    }
  }

  see(id, t) {
    this.seen.add(id);
    emit({ e: 'seen', p: this.p, id, t });
  }

  checkConverged(t) {
    if (this.converged) return;
    const n = config.edsNames.length;
    if (this.cdsExpected < n || this.claCount < n || !this.lds || !this.initialRoute) return;
    for (const r of this.routes) if (!this.rdsSeen.has(r)) return;
    this.converged = true;
    emit({ e: 'conv', p: this.p, t, s: this.started });
  }
}

const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

class SotwProxy extends Proxy {
  constructor(spec, client) {
    super(spec, client);
    this.version = {};
    this.nonce = {};
    this.eds = [];
  }

  start() {
    this.open(SOTW_PATH);
    this.send(encodeRequest({ node: this.node, typeUrl: TYPES.CDS }));
    this.send(encodeRequest({ typeUrl: TYPES.LDS }));
  }

  request(type, names) {
    this.send(encodeRequest({ typeUrl: TYPES[type], versionInfo: this.version[type] ?? '', nonce: this.nonce[type] ?? '', names }));
  }

  onResponse(buf) {
    const t = now();
    const r = decodeResponse(buf);
    const type = SHORT[r.typeUrl] ?? r.typeUrl;
    const a = analyze(type, r.resources);
    const event = { e: 'r', p: this.p, t, y: type, n: r.resources.length, b: buf.length };
    if (type === 'EDS' && a.clas.length <= 4) event.names = a.clas.map((c) => c.name);
    emit(event);
    this.version[type] = r.versionInfo;
    this.nonce[type] = r.nonce;
    if (type === 'CDS') {
      // Envoy asks for the new EDS names before it ACKs the clusters that name them.
      this.cdsExpected = a.expected;
      if (!sameList(a.eds, this.eds)) {
        this.eds = a.eds;
        this.request('EDS', a.eds);
      }
      this.request('CDS', []);
    } else if (type === 'LDS') {
      this.lds = true;
      if (!sameList(a.routes, this.routes)) {
        this.routes = a.routes;
        this.request('RDS', a.routes);
      }
      this.request('LDS', []);
    } else if (type === 'EDS') {
      this.onClas(a, t);
      this.request('EDS', this.eds);
    } else if (type === 'RDS') {
      this.onRoutes(a, t);
      this.request('RDS', this.routes);
    }
    this.checkConverged(t);
  }
}

class DeltaProxy extends Proxy {
  constructor(spec, client) {
    super(spec, client);
    /** Cluster name → EDS name (or null): what CDS gave so far. */
    this.clusters = new Map();
    this.listeners = new Map();
    this.edsSub = new Set();
    this.rdsSub = new Set();
    this.first = true;
  }

  start() {
    this.open(DELTA_PATH);
    // An initial request without names is the legacy wildcard subscription (xDS protocol, Delta).
    this.send(encodeDeltaRequest({ node: this.node, typeUrl: TYPES.CDS }));
    this.send(encodeDeltaRequest({ typeUrl: TYPES.LDS }));
  }

  /** Subscribes to what `want` has that `have` lacks, and unsubscribes the rest. */
  resubscribe(type, have, want) {
    const subscribe = [...want].filter((n) => !have.has(n));
    const unsubscribe = [...have].filter((n) => !want.has(n));
    if (subscribe.length === 0 && unsubscribe.length === 0) return;
    for (const n of subscribe) have.add(n);
    for (const n of unsubscribe) have.delete(n);
    this.send(encodeDeltaRequest({ typeUrl: TYPES[type], subscribe, unsubscribe }));
  }

  onResponse(buf) {
    const t = now();
    const r = decodeDeltaResponse(buf);
    const type = SHORT[r.typeUrl] ?? r.typeUrl;
    const a = analyze(type, r.resources.map((x) => x.value ?? Buffer.alloc(0)));
    const event = { e: 'r', p: this.p, t, y: type, n: r.resources.length, b: buf.length };
    if (r.removed.length) event.x = r.removed.length;
    if (type === 'EDS' && r.resources.length <= 4) event.names = r.resources.map((x) => x.name);
    emit(event);
    if (type === 'CDS') {
      for (const c of a.clusters) this.clusters.set(c.name, c.edsName);
      for (const n of r.removed) this.clusters.delete(n);
      const want = new Set();
      for (const e of this.clusters.values()) if (e !== null) want.add(e);
      let expected = 0;
      for (const n of want) if (expectedIndex.has(n)) expected++;
      this.cdsExpected = expected;
      this.resubscribe('EDS', this.edsSub, want);
    } else if (type === 'LDS') {
      for (const l of a.listeners) this.listeners.set(l.name, l.routes);
      for (const n of r.removed) this.listeners.delete(n);
      this.lds = true;
      const want = new Set([...this.listeners.values()].flat());
      this.routes = [...want];
      this.resubscribe('RDS', this.rdsSub, want);
    } else if (type === 'EDS') {
      this.onClas(a, t);
    } else if (type === 'RDS') {
      this.onRoutes(a, t);
    }
    this.send(encodeDeltaRequest({ typeUrl: r.typeUrl, nonce: r.nonce }));
    this.checkConverged(t);
  }
}

let stopping = false;
const proxies = config.proxies.map((spec, i) => (config.protocol === 'delta' ? new DeltaProxy(spec, clients[i % clients.length]) : new SotwProxy(spec, clients[i % clients.length])));
for (const p of proxies) p.start();
emit({ e: 'up', t: now(), s: Math.min(...proxies.map((p) => p.started)), proxies: proxies.length, connections: clients.length });

function stop() {
  if (stopping) return;
  stopping = true;
  for (const p of proxies) p.stream?.cancel();
  for (const c of clients) c.close();
  flush();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
