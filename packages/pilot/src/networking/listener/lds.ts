// The LDS generator: a sidecar's outbound per-port listeners and its two capture listeners, or a
// gateway's server listeners.
import type { GeneratedResource, Generator } from '../generator.js';
import { LISTENER_TYPE } from './filter-names.js';
import { gatewayListeners } from './gateway-listeners.js';
import { sidecarOutboundListeners } from './sidecar-outbound-listeners.js';
import { virtualInboundListener, virtualOutboundListener } from './virtual-listeners.js';

function resource(l: { name: string }): GeneratedResource {
  return { name: l.name, messageType: LISTENER_TYPE, resource: l };
}

/** LDS is always the full set; `names` is ignored (Envoy subscribes to listeners with a wildcard). */
export const ldsGenerator: Generator = (ctx) => {
  if (ctx.proxy.type === 'router') return gatewayListeners(ctx).map(resource);
  return [...sidecarOutboundListeners(ctx), virtualOutboundListener(ctx), virtualInboundListener(ctx)].map(resource);
};
