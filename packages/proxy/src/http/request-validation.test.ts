import { describe, expect, it } from 'vitest';
import { DEFAULT_REQUEST_LIMITS, validateRequest, type RequestLine } from './request-validation.js';

function h1(target: string, headers: string[], opts: Partial<RequestLine> = {}): RequestLine {
  return { method: 'GET', target, versionMajor: 1, versionMinor: 1, rawHeaders: headers, http2: false, ...opts };
}

describe('validateRequest', () => {
  it('accepts an origin-form HTTP/1.1 request and gives Host as the authority', () => {
    expect(validateRequest(h1('/a?b', ['Host', 'web:8080']), DEFAULT_REQUEST_LIMITS)).toEqual({ ok: true, authority: 'web:8080', path: '/a?b' });
  });

  it('answers 505 to HTTP/2.0 or 1.2 in an HTTP/1 request line, and closes', () => {
    expect(validateRequest(h1('/x', ['Host', 'a'], { versionMajor: 2, versionMinor: 0 }), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 505, close: true });
    expect(validateRequest(h1('/x', ['Host', 'a'], { versionMinor: 2 }), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 505 });
  });

  it('answers 426 to HTTP/1.0 and /0.9 unless accept_http_10, which also supplies default_host_for_http_10', () => {
    expect(validateRequest(h1('/x', ['Host', 'a'], { versionMinor: 0 }), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 426 });
    expect(validateRequest(h1('/x', [], { versionMajor: 0, versionMinor: 9 }), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 426 });
    const accepting = { ...DEFAULT_REQUEST_LIMITS, acceptHttp10: true, defaultHostForHttp10: 'legacy.local' };
    expect(validateRequest(h1('/x', [], { versionMinor: 0 }), accepting)).toEqual({ ok: true, authority: 'legacy.local', path: '/x' });
    expect(validateRequest(h1('/x', ['Host', 'given'], { versionMinor: 0 }), accepting)).toEqual({ ok: true, authority: 'given', path: '/x' });
    expect(validateRequest(h1('/x', [], { versionMinor: 0 }), { ...accepting, defaultHostForHttp10: '' })).toMatchObject({ ok: false, status: 400 });
  });

  it('answers 431 above max_headers_count (100 by default), counting every header line', () => {
    const headers = (n: number) => ['Host', 'a', ...Array.from({ length: n - 1 }, (_, i) => [`x-h${i}`, 'v']).flat()];
    expect(validateRequest(h1('/', headers(100)), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: true });
    expect(validateRequest(h1('/', headers(101)), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 431 });
    expect(validateRequest(h1('/', headers(101)), { ...DEFAULT_REQUEST_LIMITS, maxHeadersCount: 101 })).toMatchObject({ ok: true });
  });

  it('refuses a duplicate, missing or invalid Host with 400', () => {
    expect(validateRequest(h1('/', ['Host', 'a', 'host', 'b']), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 400, details: expect.stringMatching(/duplicate Host/) });
    expect(validateRequest(h1('/', []), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 400 });
    expect(validateRequest(h1('/', ['Host', 'a b@c']), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 400 });
    expect(validateRequest(h1('/', ['Host', 'a"b']), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 400 });
    expect(validateRequest(h1('/', ['Host', '[::1]:80'])  , DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: true, authority: '[::1]:80' });
  });

  it('routes an absolute-form target by its authority (it replaces Host), unless allow_absolute_url is false', () => {
    expect(validateRequest(h1('http://foo.example:81/p?q', ['Host', 'bar']), DEFAULT_REQUEST_LIMITS)).toEqual({ ok: true, authority: 'foo.example:81', path: '/p?q' });
    expect(validateRequest(h1('http://foo.example', ['Host', 'bar']), DEFAULT_REQUEST_LIMITS)).toEqual({ ok: true, authority: 'foo.example', path: '/' });
    expect(validateRequest(h1('http://foo.example/p', ['Host', 'bar']), { ...DEFAULT_REQUEST_LIMITS, allowAbsoluteUrl: false })).toMatchObject({ ok: false, status: 400 });
  });

  it('refuses a target that is neither origin- nor absolute-form, but lets OPTIONS * and CONNECT authority-form through', () => {
    expect(validateRequest(h1('x/y', ['Host', 'a']), DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 400 });
    expect(validateRequest(h1('*', ['Host', 'a'], { method: 'OPTIONS' }), DEFAULT_REQUEST_LIMITS)).toEqual({ ok: true, authority: 'a', path: '*' });
    expect(validateRequest(h1('foo:443', ['Host', 'foo:443'], { method: 'CONNECT' }), DEFAULT_REQUEST_LIMITS)).toEqual({ ok: true, authority: 'foo:443', path: '' });
  });

  it('reads :authority on HTTP/2 and does not count pseudo-headers', () => {
    const pseudo = [':method', 'GET', ':path', '/', ':scheme', 'http', ':authority', 'svc'];
    expect(validateRequest({ method: 'GET', target: '/', versionMajor: 2, versionMinor: 0, rawHeaders: [...pseudo, ...Array.from({ length: 100 }, (_, i) => [`x-${i}`, 'v']).flat()], http2: true }, DEFAULT_REQUEST_LIMITS)).toEqual({ ok: true, authority: 'svc', path: '/' });
    expect(validateRequest({ method: 'GET', target: '/', versionMajor: 2, versionMinor: 0, rawHeaders: [...pseudo, ...Array.from({ length: 101 }, (_, i) => [`x-${i}`, 'v']).flat()], http2: true }, DEFAULT_REQUEST_LIMITS)).toMatchObject({ ok: false, status: 431, close: false });
  });
});
