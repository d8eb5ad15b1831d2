// Which cluster a route destination names (Istio 1.3 GetDestinationCluster).
import type { Destination } from '@weft/api';
import type { Service } from '../../model/service.js';
import { BLACKHOLE_CLUSTER, outboundClusterName } from '../names.js';

/**
 * `outbound|<port>|<subset>|<host>`. The port is the destination's; when unset, the service's only
 * port, else the listener's port. Port selection by name was dropped in 1.4; Istio sends it to the
 * black hole.
 */
export function destinationPort(destination: Destination, service: Service | undefined, listenerPort: number): number {
  const n = destination.port?.number;
  if (n !== undefined && n !== 0) return n;
  const only = service && service.ports.length === 1 ? service.ports[0] : undefined;
  return only ? only.port : listenerPort;
}

export function destinationCluster(destination: Destination, service: Service | undefined, listenerPort: number): string {
  if (destination.port?.name && !destination.port.number) return BLACKHOLE_CLUSTER;
  return outboundClusterName(destinationPort(destination, service, listenerPort), destination.host ?? '', destination.subset ?? '');
}
