// GET a backend's JSON. Every failure is a value, never a throw: a non-2xx answer, a timeout, a
// refused or reset connection, or a body that is not JSON each come back as { ok: false, status,
// error } so the caller can report which backend failed and how.
//
// Each call opens its own connection (agent: false). In a pod that connection goes to the local
// sidecar, so it is cheap, and no call can pick a kept-alive socket that the other side is closing
// at that moment (which would look like a backend failure that never happened).
import http from 'node:http';

const MAX_BODY = 1 << 20;

export function getJson(target, { headers = {}, timeoutMs }) {
  return new Promise((resolve) => {
    const started = Date.now();
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ url: target, ms: Date.now() - started, ...result });
    };
    const req = http.request(target, { method: 'GET', headers: { accept: 'application/json', ...headers }, agent: false });
    const timer = setTimeout(() => {
      done({ ok: false, status: 0, error: `timed out after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e) => done({ ok: false, status: 0, error: e.code ? `${e.code}: ${e.message}` : e.message }));
    req.on('response', (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy(new Error(`response larger than ${MAX_BODY} bytes`));
        else chunks.push(c);
      });
      res.on('error', (e) => done({ ok: false, status: res.statusCode ?? 0, error: `response: ${e.message}` }));
      res.on('aborted', () => done({ ok: false, status: res.statusCode ?? 0, error: 'response aborted (connection reset)' }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        if (status < 200 || status > 299) done({ ok: false, status, error: `HTTP ${status}`, ...(body !== undefined ? { detail: body } : text ? { detail: text.slice(0, 500) } : {}) });
        else if (body === undefined || typeof body !== 'object' || body === null) done({ ok: false, status, error: 'the answer is not a JSON object', detail: text.slice(0, 500) });
        else done({ ok: true, status, body });
      });
    });
    req.end();
  });
}
