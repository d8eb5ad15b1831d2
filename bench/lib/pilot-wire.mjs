// The few xDS messages the Pilot benchmark's simulated proxies speak, encoded and decoded by hand from
// the protobuf wire format: requests (SotW and Delta, with an Istio node), and from responses only
// what is measured (names, versions, nonces, bytes, the EDS and RDS names a proxy asks for next, an
// endpoint address, a route weight). A full decode of every Cluster for thousands of proxies would
// cost the client more CPU than the server it measures. Field numbers: envoy/service/discovery/v3,
// envoy/config/{cluster,listener,route,endpoint}/v3, envoy.extensions.filters.network.http_connection_manager.v3.

export const TYPES = {
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  EDS: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
};
/** Short name of each type URL. */
export const SHORT = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
/** Cluster.DiscoveryType EDS. */
const EDS_DISCOVERY = 3;

// ---- writing ----

function varint(n) {
  const out = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

const key = (field, wireType) => varint(field * 8 + wireType);

/** A length-delimited field (string, bytes, message). */
function lenField(field, bytes) {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return Buffer.concat([key(field, 2), varint(b.length), b]);
}

/** google.protobuf.Value from JSON (strings, numbers, booleans, objects; arrays as ListValue). */
function value(v) {
  if (typeof v === 'string') return lenField(3, v);
  if (typeof v === 'boolean') return Buffer.concat([key(4, 0), varint(v ? 1 : 0)]);
  if (typeof v === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return Buffer.concat([key(2, 1), b]);
  }
  if (Array.isArray(v)) return lenField(6, Buffer.concat(v.map((x) => lenField(1, value(x)))));
  return lenField(5, struct(v));
}

/** google.protobuf.Struct: map<string, Value> fields = 1. */
function struct(obj) {
  return Buffer.concat(Object.entries(obj).map(([k, v]) => lenField(1, Buffer.concat([lenField(1, k), lenField(2, value(v))]))));
}

/** envoy.config.core.v3.Node: id, cluster, metadata, user_agent_name, user_agent_version. */
export function encodeNode({ id, cluster, metadata }) {
  return Buffer.concat([lenField(1, id), lenField(2, cluster), lenField(3, struct(metadata)), lenField(6, 'envoy'), lenField(7, '1.36.0')]);
}

/** Encoded `resource_names` of a names list, kept per list: proxies with the same CDS share one list (pilot-client.mjs). */
const encodedNames = new WeakMap();

function namesField(names) {
  let b = encodedNames.get(names);
  if (!b) {
    b = Buffer.concat(names.map((n) => lenField(3, n)));
    encodedNames.set(names, b);
  }
  return b;
}

/** DiscoveryRequest (SotW). `node` is the encoded Node, sent on the stream's first request only. */
export function encodeRequest({ node, typeUrl, versionInfo = '', names = [], nonce = '' }) {
  const parts = [];
  if (versionInfo) parts.push(lenField(1, versionInfo));
  if (node) parts.push(lenField(2, node));
  if (names.length) parts.push(namesField(names));
  parts.push(lenField(4, typeUrl));
  if (nonce) parts.push(lenField(5, nonce));
  return Buffer.concat(parts);
}

/** DeltaDiscoveryRequest. */
export function encodeDeltaRequest({ node, typeUrl, subscribe = [], unsubscribe = [], nonce = '' }) {
  const parts = [];
  if (node) parts.push(lenField(1, node));
  parts.push(lenField(2, typeUrl));
  for (const n of subscribe) parts.push(lenField(3, n));
  for (const n of unsubscribe) parts.push(lenField(4, n));
  if (nonce) parts.push(lenField(6, nonce));
  return Buffer.concat(parts);
}

// ---- reading ----

/** Reads a varint at `r.pos` (lengths and enums: below 2^53). */
function readVarint(buf, r) {
  let result = 0;
  let mul = 1;
  for (;;) {
    const b = buf[r.pos++];
    if (b === undefined) throw new Error('truncated varint');
    result += (b & 127) * mul;
    if (b < 128) return result;
    mul *= 128;
  }
}

/**
 * Calls `onField(field, wireType, start, end, varintValue)` for each field of the message in
 * buf[start, end): for length-delimited fields start/end bound the payload.
 */
function eachField(buf, start, end, onField) {
  const r = { pos: start };
  while (r.pos < end) {
    const k = readVarint(buf, r);
    const field = Math.floor(k / 8);
    const wt = k & 7;
    if (wt === 0) {
      const v = readVarint(buf, r);
      if (onField(field, 0, r.pos, r.pos, v) === false) return;
    } else if (wt === 2) {
      const len = readVarint(buf, r);
      const s = r.pos;
      r.pos += len;
      if (r.pos > end) throw new Error('truncated field');
      if (onField(field, 2, s, r.pos, 0) === false) return;
    } else if (wt === 1) r.pos += 8;
    else if (wt === 5) r.pos += 4;
    else throw new Error(`unsupported wire type ${wt}`);
  }
}

const text = (buf, s, e) => buf.toString('utf8', s, e);

/** DiscoveryResponse → version, type URL, nonce and each resource's Any value (a view of `buf`). */
export function decodeResponse(buf) {
  const out = { versionInfo: '', typeUrl: '', nonce: '', resources: [] };
  eachField(buf, 0, buf.length, (f, wt, s, e) => {
    if (wt !== 2) return;
    if (f === 1) out.versionInfo = text(buf, s, e);
    else if (f === 4) out.typeUrl = text(buf, s, e);
    else if (f === 5) out.nonce = text(buf, s, e);
    else if (f === 2) out.resources.push(anyValue(buf, s, e));
  });
  return out;
}

/** The value bytes of a google.protobuf.Any in buf[s, e). */
function anyValue(buf, s, e) {
  let value = buf.subarray(s, s);
  eachField(buf, s, e, (f, wt, vs, ve) => {
    if (f === 2 && wt === 2) value = buf.subarray(vs, ve);
  });
  return value;
}

/** DeltaDiscoveryResponse → type URL, nonce, resources ({ name, version, value }) and removed names. */
export function decodeDeltaResponse(buf) {
  const out = { typeUrl: '', nonce: '', systemVersion: '', resources: [], removed: [] };
  eachField(buf, 0, buf.length, (f, wt, s, e) => {
    if (wt !== 2) return;
    if (f === 1) out.systemVersion = text(buf, s, e);
    else if (f === 4) out.typeUrl = text(buf, s, e);
    else if (f === 5) out.nonce = text(buf, s, e);
    else if (f === 6) out.removed.push(text(buf, s, e));
    else if (f === 8) eachField(buf, s, e, (g, gwt, gs, ge) => (g === 1 && gwt === 2 ? void out.removed.push(text(buf, gs, ge)) : undefined));
    else if (f === 2) {
      const res = { name: '', version: '', value: undefined };
      eachField(buf, s, e, (g, gwt, gs, ge) => {
        if (gwt !== 2) return;
        if (g === 3) res.name = text(buf, gs, ge);
        else if (g === 1) res.version = text(buf, gs, ge);
        else if (g === 2) res.value = anyValue(buf, gs, ge);
      });
      out.resources.push(res);
    }
  });
  return out;
}

/** Field 1 (`name` of Cluster, Listener, RouteConfiguration; `cluster_name` of ClusterLoadAssignment). */
export function resourceName(buf) {
  let name = '';
  eachField(buf, 0, buf.length, (f, wt, s, e) => {
    if (f === 1 && wt === 2) {
      name = text(buf, s, e);
      return false;
    }
  });
  return name;
}

/** A Cluster's name and, for an EDS cluster, the name EDS serves it under (service_name, else the name). */
export function clusterInfo(buf) {
  let name = '';
  let type = 0;
  let serviceName = '';
  eachField(buf, 0, buf.length, (f, wt, s, e, v) => {
    if (f === 1 && wt === 2) name = text(buf, s, e);
    else if (f === 2 && wt === 0) type = v;
    else if (f === 3 && wt === 2) eachField(buf, s, e, (g, gwt, gs, ge) => (g === 2 && gwt === 2 ? void (serviceName = text(buf, gs, ge)) : undefined));
  });
  return { name, edsName: type === EDS_DISCOVERY ? serviceName || name : undefined };
}

/** A Listener's name and the RDS route names its HTTP connection managers name. */
export function listenerInfo(buf) {
  let name = '';
  const routes = [];
  const chain = (s, e) =>
    eachField(buf, s, e, (f, wt, fs, fe) => {
      if (f !== 3 || wt !== 2) return;
      // Filter: typed_config (4) is an Any; an HttpConnectionManager's rds (3) names the route.
      eachField(buf, fs, fe, (g, gwt, gs, ge) => {
        if (g !== 4 || gwt !== 2) return;
        let typeUrl = '';
        let value;
        eachField(buf, gs, ge, (h, hwt, hs, he) => {
          if (h === 1 && hwt === 2) typeUrl = text(buf, hs, he);
          else if (h === 2 && hwt === 2) value = [hs, he];
        });
        if (typeUrl !== HCM_TYPE || !value) return;
        eachField(buf, value[0], value[1], (h, hwt, hs, he) => {
          if (h === 3 && hwt === 2) eachField(buf, hs, he, (i, iwt, is, ie) => (i === 2 && iwt === 2 ? void routes.push(text(buf, is, ie)) : undefined));
        });
      });
    });
  eachField(buf, 0, buf.length, (f, wt, s, e) => {
    if (wt !== 2) return;
    if (f === 1) name = text(buf, s, e);
    else if (f === 3 || f === 25) chain(s, e);
  });
  return { name, routes };
}

/**
 * The weight a RouteConfiguration gives `cluster` in a weighted route (the first found), or
 * undefined. Only the virtual hosts whose bytes hold the name are parsed.
 * @param {Buffer} buf @param {Buffer} clusterBytes the cluster name as UTF-8
 */
export function routeWeight(buf, clusterBytes) {
  const hit = buf.indexOf(clusterBytes);
  if (hit < 0) return undefined;
  const want = clusterBytes.toString('utf8');
  let weight;
  eachField(buf, 0, buf.length, (f, wt, s, e) => {
    // virtual_hosts (2) → routes (3) → route (2, RouteAction) → weighted_clusters (3) → clusters (1).
    if (f !== 2 || wt !== 2 || hit < s || hit >= e) return;
    eachField(buf, s, e, (g, gwt, gs, ge) => {
      if (g !== 3 || gwt !== 2) return;
      eachField(buf, gs, ge, (h, hwt, hs, he) => {
        if (h !== 2 || hwt !== 2) return;
        eachField(buf, hs, he, (i, iwt, is, ie) => {
          if (i !== 3 || iwt !== 2) return;
          eachField(buf, is, ie, (j, jwt, js, je) => {
            if (j !== 1 || jwt !== 2) return;
            let name = '';
            let w = 0;
            eachField(buf, js, je, (k, kwt, ks, ke) => {
              if (k === 1 && kwt === 2) name = text(buf, ks, ke);
              else if (k === 2 && kwt === 2) eachField(buf, ks, ke, (l, lwt, _s, _e, v) => (l === 1 && lwt === 0 ? void (w = v) : undefined));
            });
            if (name === want && weight === undefined) weight = w;
          });
        });
      });
    });
    return false;
  });
  return weight;
}
