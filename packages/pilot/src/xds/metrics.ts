// Pilot's Prometheus metrics, with Istio's names and labels (istio.io "Pilot metrics").
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface PilotMetrics {
  readonly registry: Registry;
  /** pilot_xds: connected xDS clients. */
  readonly xdsClients: Gauge;
  /** pilot_xds_pushes{type}: responses sent, by type (cds, eds, lds, rds). */
  readonly pushes: Counter<'type'>;
  /** pilot_total_xds_rejects{type}: NACKs received. */
  readonly rejects: Counter<'type'>;
  /** pilot_xds_push_errors / pilot_total_xds_internal_errors. */
  readonly internalErrors: Counter;
  /** pilot_proxy_convergence_time: from the first event of a push to the proxy's ACK (seconds). */
  readonly convergence: Histogram;
  /** pilot_xds_push_time{type}: time to generate and publish (seconds). */
  readonly pushTime: Histogram;
  /** pilot_debounce_time: how long events waited in the debouncer (seconds). */
  readonly debounceTime: Histogram;
  /** pilot_services / pilot_virt_services / pilot_destrule_subsets style config gauges. */
  readonly services: Gauge;
  readonly virtualServices: Gauge;
  /** pilot_total_config_rejects: config files whose current content is rejected by validation (Weft); set on every change. */
  readonly configRejects: Gauge;
}

const TYPE_LABEL: Record<string, string> = {
  'type.googleapis.com/envoy.config.cluster.v3.Cluster': 'cds',
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment': 'eds',
  'type.googleapis.com/envoy.config.listener.v3.Listener': 'lds',
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration': 'rds',
};

/** The `type` label Istio uses for a type URL. */
export function typeLabel(typeUrl: string): string {
  return TYPE_LABEL[typeUrl] ?? typeUrl.slice(typeUrl.lastIndexOf('.') + 1).toLowerCase();
}

export function createPilotMetrics(): PilotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buckets = [0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30];
  return {
    registry,
    xdsClients: new Gauge({ name: 'pilot_xds', help: 'Number of endpoints connected to this pilot using XDS.', registers: [registry] }),
    pushes: new Counter({ name: 'pilot_xds_pushes', help: 'Pilot build and send errors for lds, rds, cds and eds.', labelNames: ['type'], registers: [registry] }),
    rejects: new Counter({ name: 'pilot_total_xds_rejects', help: 'Total number of XDS responses from pilot rejected by proxy.', labelNames: ['type'], registers: [registry] }),
    internalErrors: new Counter({ name: 'pilot_total_xds_internal_errors', help: 'Total number of internal XDS errors in pilot.', registers: [registry] }),
    convergence: new Histogram({ name: 'pilot_proxy_convergence_time', help: 'Delay in seconds between config change and a proxy receiving all required configuration.', buckets, registers: [registry] }),
    pushTime: new Histogram({ name: 'pilot_xds_push_time', help: 'Total time in seconds Pilot takes to push lds, rds, cds and eds.', labelNames: ['type'], buckets, registers: [registry] }),
    debounceTime: new Histogram({ name: 'pilot_debounce_time', help: 'Delay in seconds between the first config enters debouncing and the merged push request is pushed into the push queue.', buckets, registers: [registry] }),
    services: new Gauge({ name: 'pilot_services', help: 'Total services known to pilot.', registers: [registry] }),
    virtualServices: new Gauge({ name: 'pilot_virt_services', help: 'Total virtual services known to pilot.', registers: [registry] }),
    configRejects: new Gauge({ name: 'pilot_total_config_rejects', help: 'Config files whose current content is rejected by validation (a last good version, if any, stays in force).', registers: [registry] }),
  };
}
