import { describe, expect, it } from 'vitest';
import { Cancellation, type CancelSignal } from './cancellation.js';

describe('Cancellation', () => {
  it('runs each listener once, in order, and none added after the abort', () => {
    const c = new Cancellation();
    const seen: string[] = [];
    const a = () => seen.push('a');
    const obj = { handleEvent: () => seen.push('obj') };
    c.addEventListener('abort', a);
    c.addEventListener('abort', a);
    c.addEventListener('abort', obj);
    expect(c.aborted).toBe(false);
    c.abort();
    c.abort();
    c.addEventListener('abort', () => seen.push('late'));
    expect(c.aborted).toBe(true);
    expect(seen).toEqual(['a', 'obj']);
  });

  it('does not run a removed listener', () => {
    const c = new Cancellation();
    let n = 0;
    const l = () => n++;
    c.addEventListener('abort', l);
    c.removeEventListener('abort', l);
    c.abort();
    expect(n).toBe(0);
  });

  it('is interchangeable with an AbortSignal where a CancelSignal is read', () => {
    const ac = new AbortController();
    const s: CancelSignal = ac.signal;
    let n = 0;
    s.addEventListener('abort', { handleEvent: () => n++ });
    ac.abort();
    expect(s.aborted).toBe(true);
    expect(n).toBe(1);
  });
});
