// A RouteConfiguration in proto3 JSON (or YAML read as JSON) → the decoded form xDS delivers, by a
// round trip through the wire encoding. For static route_config, tests and `simulate`; the registry
// is passed in, so this stays free of I/O.
import type { ProtoRegistry } from '@weft/api';
import type { ValidationResult } from '@weft/base';
import type { RouteConfiguration__Output } from './config-types.js';

export const ROUTE_CONFIGURATION_TYPE = 'envoy.config.route.v3.RouteConfiguration';

export function routeConfigurationFromJson(registry: ProtoRegistry, json: unknown): ValidationResult<RouteConfiguration__Output> {
  const read = registry.readJson(ROUTE_CONFIGURATION_TYPE, json);
  if (!read.value) return { errors: read.issues, warnings: [] };
  const bytes = registry.encode(ROUTE_CONFIGURATION_TYPE, read.value);
  return { value: registry.decode<RouteConfiguration__Output>(ROUTE_CONFIGURATION_TYPE, bytes), errors: [], warnings: [] };
}
