// Field schemas for VirtualService and its route messages.
import type {
  CorsPolicy, Delegate, Destination, HeaderOperations, Headers, HTTPFaultAbort, HTTPFaultDelay, HTTPFaultInjection,
  HTTPMatchRequest, HTTPRedirect, HTTPRetry, HTTPRewrite, HTTPRoute, HTTPRouteDestination, L4MatchAttributes,
  RouteDestination, StringMatch, TCPRoute, TLSMatchAttributes, TLSRoute, VirtualService,
} from '../types/virtual-service.js';
import { bool, dur, i32, list, map, type MessageSchema, msg, str, strList, strMap, u32 } from '../validate/schema.js';
import { PercentSchema, PortSelectorSchema } from './port.js';

const HEADERS_ADVICE = 'use headers.request / headers.response';

export const StringMatchSchema: MessageSchema<StringMatch> = {
  name: 'StringMatch',
  fields: { exact: str, prefix: str, regex: str },
  oneofs: [['exact', 'prefix', 'regex']],
};

export const DestinationSchema: MessageSchema<Destination> = {
  name: 'Destination',
  fields: { host: str, subset: str, port: msg(() => PortSelectorSchema) },
};

const HeaderOperationsSchema: MessageSchema<HeaderOperations> = {
  name: 'HeaderOperations',
  fields: { set: strMap, add: strMap, remove: strList },
};

const HeadersSchema: MessageSchema<Headers> = {
  name: 'Headers',
  fields: { request: msg(() => HeaderOperationsSchema), response: msg(() => HeaderOperationsSchema) },
};

const stringMatches = map(msg(() => StringMatchSchema));

const HTTPMatchRequestSchema: MessageSchema<HTTPMatchRequest> = {
  name: 'HTTPMatchRequest',
  fields: {
    name: str,
    uri: msg(() => StringMatchSchema),
    scheme: msg(() => StringMatchSchema),
    method: msg(() => StringMatchSchema),
    authority: msg(() => StringMatchSchema),
    headers: stringMatches,
    port: u32,
    sourceLabels: strMap,
    gateways: strList,
    queryParams: stringMatches,
    ignoreUriCase: bool,
    withoutHeaders: stringMatches,
    sourceNamespace: str,
  },
};

const HTTPRouteDestinationSchema: MessageSchema<HTTPRouteDestination> = {
  name: 'HTTPRouteDestination',
  fields: {
    destination: msg(() => DestinationSchema),
    weight: i32,
    headers: msg(() => HeadersSchema),
    removeResponseHeaders: strList,
    appendResponseHeaders: strMap,
    removeRequestHeaders: strList,
    appendRequestHeaders: strMap,
  },
  deprecated: {
    removeResponseHeaders: HEADERS_ADVICE,
    appendResponseHeaders: HEADERS_ADVICE,
    removeRequestHeaders: HEADERS_ADVICE,
    appendRequestHeaders: HEADERS_ADVICE,
  },
};

export const RouteDestinationSchema: MessageSchema<RouteDestination> = {
  name: 'RouteDestination',
  fields: { destination: msg(() => DestinationSchema), weight: i32 },
};

const HTTPRedirectSchema: MessageSchema<HTTPRedirect> = {
  name: 'HTTPRedirect',
  fields: { uri: str, authority: str, redirectCode: u32 },
};

const HTTPRewriteSchema: MessageSchema<HTTPRewrite> = { name: 'HTTPRewrite', fields: { uri: str, authority: str } };

const HTTPRetrySchema: MessageSchema<HTTPRetry> = {
  name: 'HTTPRetry',
  fields: { attempts: i32, perTryTimeout: dur, retryOn: str, retryRemoteLocalities: bool },
};

const CorsPolicySchema: MessageSchema<CorsPolicy> = {
  name: 'CorsPolicy',
  fields: {
    allowOrigin: strList,
    allowOrigins: list(msg(() => StringMatchSchema)),
    allowMethods: strList,
    allowHeaders: strList,
    exposeHeaders: strList,
    maxAge: dur,
    allowCredentials: bool,
  },
};

const PERCENT_ADVICE = 'use percentage.value';

const DelaySchema: MessageSchema<HTTPFaultDelay> = {
  name: 'HTTPFaultInjection.Delay',
  fields: { percent: i32, fixedDelay: dur, exponentialDelay: dur, percentage: msg(() => PercentSchema) },
  oneofs: [['fixedDelay', 'exponentialDelay']],
  deprecated: { percent: PERCENT_ADVICE },
};

const AbortSchema: MessageSchema<HTTPFaultAbort> = {
  name: 'HTTPFaultInjection.Abort',
  fields: { percent: i32, httpStatus: i32, grpcStatus: str, http2Error: str, percentage: msg(() => PercentSchema) },
  oneofs: [['httpStatus', 'grpcStatus', 'http2Error']],
  deprecated: { percent: PERCENT_ADVICE },
};

const FaultSchema: MessageSchema<HTTPFaultInjection> = {
  name: 'HTTPFaultInjection',
  fields: { delay: msg(() => DelaySchema), abort: msg(() => AbortSchema) },
};

const DelegateSchema: MessageSchema<Delegate> = { name: 'Delegate', fields: { name: str, namespace: str } };

const HTTPRouteSchema: MessageSchema<HTTPRoute> = {
  name: 'HTTPRoute',
  fields: {
    name: str,
    match: list(msg(() => HTTPMatchRequestSchema)),
    route: list(msg(() => HTTPRouteDestinationSchema)),
    redirect: msg(() => HTTPRedirectSchema),
    delegate: msg(() => DelegateSchema),
    rewrite: msg(() => HTTPRewriteSchema),
    websocketUpgrade: bool,
    timeout: dur,
    retries: msg(() => HTTPRetrySchema),
    fault: msg(() => FaultSchema),
    mirror: msg(() => DestinationSchema),
    mirrorPercent: u32,
    mirrorPercentage: msg(() => PercentSchema),
    corsPolicy: msg(() => CorsPolicySchema),
    headers: msg(() => HeadersSchema),
    appendHeaders: strMap,
    removeResponseHeaders: strList,
    appendResponseHeaders: strMap,
    removeRequestHeaders: strList,
    appendRequestHeaders: strMap,
  },
  deprecated: {
    websocketUpgrade: 'WebSocket upgrades are automatic since Istio 1.0; the field has no effect',
    mirrorPercent: 'use mirrorPercentage',
    appendHeaders: HEADERS_ADVICE,
    removeResponseHeaders: HEADERS_ADVICE,
    appendResponseHeaders: HEADERS_ADVICE,
    removeRequestHeaders: HEADERS_ADVICE,
    appendRequestHeaders: HEADERS_ADVICE,
  },
};

const L4MatchSchema: MessageSchema<L4MatchAttributes> = {
  name: 'L4MatchAttributes',
  fields: { destinationSubnets: strList, port: u32, sourceSubnet: str, sourceLabels: strMap, gateways: strList, sourceNamespace: str },
};

const TLSMatchSchema: MessageSchema<TLSMatchAttributes> = {
  name: 'TLSMatchAttributes',
  fields: {
    sniHosts: strList,
    destinationSubnets: strList,
    port: u32,
    sourceSubnet: str,
    sourceLabels: strMap,
    gateways: strList,
    sourceNamespace: str,
  },
};

const TLSRouteSchema: MessageSchema<TLSRoute> = {
  name: 'TLSRoute',
  fields: { match: list(msg(() => TLSMatchSchema)), route: list(msg(() => RouteDestinationSchema)) },
};

const TCPRouteSchema: MessageSchema<TCPRoute> = {
  name: 'TCPRoute',
  fields: { match: list(msg(() => L4MatchSchema)), route: list(msg(() => RouteDestinationSchema)) },
};

export const VirtualServiceSchema: MessageSchema<VirtualService> = {
  name: 'VirtualService',
  fields: {
    hosts: strList,
    gateways: strList,
    http: list(msg(() => HTTPRouteSchema)),
    tls: list(msg(() => TLSRouteSchema)),
    tcp: list(msg(() => TCPRouteSchema)),
    exportTo: strList,
  },
};
