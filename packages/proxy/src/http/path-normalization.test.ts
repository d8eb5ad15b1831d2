import { describe, expect, it } from 'vitest';
import { canonicalPath, normalizeRequestPath, pathHandlingIsNoop, removeDotSegments, type PathOptions } from './path-normalization.js';

const OFF: PathOptions = { normalize: false, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' };
const NORMALIZE: PathOptions = { ...OFF, normalize: true };

describe('path normalization', () => {
  it('removes dot segments (RFC 3986 5.2.4), never above the root', () => {
    expect(removeDotSegments('/fault/../w')).toBe('/w');
    expect(removeDotSegments('/a/./b/../c')).toBe('/a/c');
    expect(removeDotSegments('/../../etc/passwd')).toBe('/etc/passwd');
    expect(removeDotSegments('/a/b/..')).toBe('/a/');
    expect(removeDotSegments('/a/.')).toBe('/a/');
  });

  it('canonicalizes: unreserved escapes decoded (also encoded dots), others upper-cased, backslashes to slashes', () => {
    expect(canonicalPath('/fault/%2e%2e/w')).toBe('/w');
    expect(canonicalPath('/%7euser/%41')).toBe('/~user/A');
    expect(canonicalPath('/a%2fb')).toBe('/a%2Fb');
    expect(canonicalPath('/a\\..\\b')).toBe('/b');
    expect(canonicalPath('/100%')).toBe('/100%25');
    expect(canonicalPath('/a"b')).toBe('/a%22b');
    expect(canonicalPath('relative')).toBeUndefined();
    expect(canonicalPath('/a\u0001')).toBeUndefined();
  });

  it('normalize_path routes /fault/../w as /w and keeps the query string as sent', () => {
    expect(normalizeRequestPath('/fault/../w?x=/../y', NORMALIZE)).toEqual({ kind: 'ok', path: '/w?x=/../y' });
    expect(normalizeRequestPath('/fault/../w', OFF)).toEqual({ kind: 'ok', path: '/fault/../w' });
  });

  it('merge_slashes collapses repeated slashes in the path only', () => {
    expect(normalizeRequestPath('//a///b?c=//d', { ...OFF, mergeSlashes: true })).toEqual({ kind: 'ok', path: '/a/b?c=//d' });
  });

  it('path_with_escaped_slashes_action: keep, reject, unescape and redirect, unescape and forward', () => {
    expect(normalizeRequestPath('/a%2Fb', OFF)).toEqual({ kind: 'ok', path: '/a%2Fb' });
    expect(normalizeRequestPath('/a%2Fb', { ...OFF, escapedSlashes: 'REJECT_REQUEST' })).toEqual({ kind: 'reject' });
    expect(normalizeRequestPath('/a%2fb?q', { ...OFF, escapedSlashes: 'UNESCAPE_AND_REDIRECT' })).toEqual({ kind: 'redirect', path: '/a/b?q' });
    expect(normalizeRequestPath('/a%5Cb', { ...NORMALIZE, escapedSlashes: 'UNESCAPE_AND_FORWARD' })).toEqual({ kind: 'ok', path: '/a/b' });
    expect(normalizeRequestPath('/plain', { ...OFF, escapedSlashes: 'UNESCAPE_AND_REDIRECT' })).toEqual({ kind: 'ok', path: '/plain' });
  });

  it('knows when there is nothing to do', () => {
    expect(pathHandlingIsNoop(OFF)).toBe(true);
    expect(pathHandlingIsNoop(NORMALIZE)).toBe(false);
  });
});
