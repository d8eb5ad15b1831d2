// The options every route configuration (RDS or inline) is compiled with: Any decoding (typed CORS
// policies) and the checks of per-route configs (typed_per_filter_config) by the HTTP filters that
// read them, so a bad per-route config is a NACK with its path, as a bad filter config is.
import type { ProtoRegistry } from '@weft/api';
import type { PerFilterConfigCheck, RouteTableOptions } from '../../../router/index.js';
import { checkFaultPerRoute, HTTP_FAULT_TYPE_URL } from './fault/fault-config.js';

export function routeTableOptions(registry: ProtoRegistry): RouteTableOptions {
  const unpack = (any: Parameters<PerFilterConfigCheck>[0]): unknown => registry.unpack(any);
  return { unpack, perFilterConfigChecks: new Map([[HTTP_FAULT_TYPE_URL, checkFaultPerRoute(unpack)]]) };
}
