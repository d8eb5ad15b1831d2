// Which request headers a service passes on to the services it calls. A mesh's proxies generate and
// report spans, but only the app can tie an outgoing call to the request that caused it, so every
// service copies the request id and the B3 / OpenTracing headers (as Istio's Bookinfo does). The
// `user-agent` and `cookie` headers are passed on too, so a VirtualService on a backend can match
// what the browser sent (the header and cookie canaries in ../../scenarios).
export const TRACE_HEADERS = ['x-request-id', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'x-ot-span-context', 'b3'];
export const FORWARDED_HEADERS = [...TRACE_HEADERS, 'user-agent', 'cookie'];

/** Headers shown back in every JSON answer as `received` (what the proxies and the caller sent). */
export const SHOWN_HEADERS = ['host', ...FORWARDED_HEADERS, 'x-forwarded-for', 'x-forwarded-proto', 'x-envoy-original-path', 'x-envoy-attempt-count', 'x-envoy-expected-rq-timeout-ms'];

function pick(headers, names) {
  const out = {};
  for (const name of names) {
    const v = headers[name];
    if (v !== undefined) out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** The headers of `req` to send on to a backend, with `requestId` (when there is one) as x-request-id. */
export function forwardedHeaders(req, requestId) {
  return { ...pick(req.headers, FORWARDED_HEADERS), ...(requestId ? { 'x-request-id': requestId } : {}) };
}

export function shownHeaders(req) {
  return pick(req.headers, SHOWN_HEADERS);
}
