// What ends an upstream request early, as the pools and the router's waits read it: an AbortSignal,
// or the router's own Cancellation, which costs one small object per stream where an AbortController
// costs an EventTarget, its signal and, on abort, a DOMException. Only the three members the pools
// use are part of the contract, so an AbortSignal from any other caller still fits.

/** An abort listener: a function, or an object with handleEvent (as EventTarget takes). */
export type CancelListener = (() => void) | { handleEvent(): void };

export interface CancelSignal {
  readonly aborted: boolean;
  /** `listener` runs once when the signal aborts; adding the same listener twice adds it once. */
  addEventListener(type: 'abort', listener: CancelListener, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: CancelListener): void;
}

/** A CancelSignal and its abort() in one: listeners run in the order they were added, once. */
export class Cancellation implements CancelSignal {
  aborted = false;
  private listeners: CancelListener[] | undefined;

  addEventListener(_type: 'abort', listener: CancelListener): void {
    if (this.aborted) return;
    const ls = (this.listeners ??= []);
    if (!ls.includes(listener)) ls.push(listener);
  }

  removeEventListener(_type: 'abort', listener: CancelListener): void {
    const ls = this.listeners;
    if (!ls) return;
    const i = ls.indexOf(listener);
    if (i >= 0) ls.splice(i, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const ls = this.listeners;
    this.listeners = undefined;
    if (!ls) return;
    for (const l of ls) {
      if (typeof l === 'function') l();
      else l.handleEvent();
    }
  }
}

/** The error a stream is destroyed with when its signal aborts (node's AbortError shape). */
export function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}
