// grpc-js service definitions built from the loaded protos, so servers and clients share one codec.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { DECODE_OPTIONS, type ProtoRegistry } from './registry.js';

function serializerFor(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    // A Message instance (or pre-built one) skips fromObject; plain objects are converted.
    const message = value instanceof type.ctor ? (value as protobuf.Message) : type.fromObject(value as Record<string, unknown>);
    const bytes = type.encode(message).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializerFor(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), DECODE_OPTIONS);
}

/** The grpc-js definition of a service such as `envoy.service.discovery.v3.AggregatedDiscoveryService`. */
export function grpcServiceDefinition(registry: ProtoRegistry, serviceName: string): ServiceDefinition {
  const service = registry.service(serviceName);
  const definition: Record<string, MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = method.resolvedRequestType as protobuf.Type;
    const res = method.resolvedResponseType as protobuf.Type;
    definition[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: serializerFor(req),
      requestDeserialize: deserializerFor(req),
      responseSerialize: serializerFor(res),
      responseDeserialize: deserializerFor(res),
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition as ServiceDefinition;
}
