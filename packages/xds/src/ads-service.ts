// The AggregatedDiscoveryService methods as the proto registry defines them (shared by server and client).
import type * as grpc from '@grpc/grpc-js';
import { ADS_SERVICE, grpcServiceDefinition, type ProtoRegistry } from '@weft/api';

export type AdsMethodName = 'StreamAggregatedResources' | 'DeltaAggregatedResources';

/** One method of the ADS service as the registry defines it (request codec included). */
export function adsMethod(registry: ProtoRegistry, name: AdsMethodName): grpc.MethodDefinition<object, object> {
  const method = grpcServiceDefinition(registry, ADS_SERVICE)[name];
  if (!method) throw new Error(`${ADS_SERVICE} has no method ${name}: the proto registry is incomplete`);
  return method as grpc.MethodDefinition<object, object>;
}

