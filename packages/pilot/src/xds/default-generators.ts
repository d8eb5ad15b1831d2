// The generator map Pilot serves with: one generator per type URL, and the proxyless gRPC set.
import { TypeUrl } from '@weft/api';
import { cdsGenerator } from '../networking/cluster/cds.js';
import { edsGenerator } from '../networking/endpoint/eds.js';
import { grpcLdsGenerator, grpcRdsGenerator } from '../networking/grpc/index.js';
import { ldsGenerator } from '../networking/listener/index.js';
import { rdsGenerator } from '../networking/route/index.js';
import type { GeneratorSets } from './generators.js';

export function defaultGenerators(): GeneratorSets {
  return {
    envoy: new Map([
      [TypeUrl.Cluster, cdsGenerator],
      [TypeUrl.ClusterLoadAssignment, edsGenerator],
      [TypeUrl.Listener, ldsGenerator],
      [TypeUrl.RouteConfiguration, rdsGenerator],
    ]),
    grpc: new Map([
      // cdsGenerator and edsGenerator already narrow themselves for proxyless clients.
      [TypeUrl.Cluster, cdsGenerator],
      [TypeUrl.ClusterLoadAssignment, edsGenerator],
      [TypeUrl.Listener, grpcLdsGenerator],
      [TypeUrl.RouteConfiguration, grpcRdsGenerator],
    ]),
  };
}
