// Drives SotwStream / DeltaStream without sockets: decoded requests in, written responses out.
import type { DeltaDiscoveryRequest, DeltaDiscoveryRequest__Output, DiscoveryRequest, DiscoveryRequest__Output } from '@weft/api';
import { silentLogger, type WeftError } from '@weft/base';
import type { XdsCallbacks } from '../src/callbacks.js';
import type { ConfigWatcher, DeltaConfigWatcher } from '../src/config-watcher.js';
import { DeltaStream } from '../src/delta-stream.js';
import { SotwStream } from '../src/sotw-stream.js';
import type { WireDeltaDiscoveryResponse, WireDiscoveryResponse } from '../src/wire-codec.js';
import { node, registry } from './resources.js';

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function sotwRequest(r: DiscoveryRequest): DiscoveryRequest__Output {
  const name = 'envoy.service.discovery.v3.DiscoveryRequest';
  return registry.decode(name, registry.encode(name, r));
}

export function deltaRequest(r: DeltaDiscoveryRequest): DeltaDiscoveryRequest__Output {
  const name = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
  return registry.decode(name, registry.encode(name, r));
}

/** Records every callback as `hook:typeShort:detail` for order assertions. */
export function recordingCallbacks(): { events: Array<{ hook: string; args: unknown[] }>; callbacks: XdsCallbacks } {
  const events: Array<{ hook: string; args: unknown[] }> = [];
  const rec =
    (hook: string) =>
    (...args: unknown[]): void => {
      events.push({ hook, args: args.slice(1) });
    };
  return {
    events,
    callbacks: {
      onStreamOpen: rec('open'),
      onStreamClose: rec('close'),
      onRequest: rec('request'),
      onResponse: rec('response'),
      onAck: rec('ack'),
      onNack: rec('nack'),
    },
  };
}

function context(callbacks: XdsCallbacks) {
  return { id: 1, peer: 'test', callbacks, log: silentLogger(), emptyNode: node('') };
}

export function sotwHarness(watcher: ConfigWatcher, callbacks: XdsCallbacks = {}) {
  const written: WireDiscoveryResponse[] = [];
  const failures: WeftError[] = [];
  const stream = new SotwStream(context(callbacks), watcher, { write: (r) => written.push(r), fail: (e) => failures.push(e) });
  return { stream, written, failures, send: (r: DiscoveryRequest) => stream.handleRequest(sotwRequest(r)) };
}

export function deltaHarness(watcher: DeltaConfigWatcher, callbacks: XdsCallbacks = {}) {
  const written: WireDeltaDiscoveryResponse[] = [];
  const failures: WeftError[] = [];
  const stream = new DeltaStream(context(callbacks), watcher, { write: (r) => written.push(r), fail: (e) => failures.push(e) });
  return { stream, written, failures, send: (r: DeltaDiscoveryRequest) => stream.handleRequest(deltaRequest(r)) };
}
