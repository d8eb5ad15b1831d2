// VirtualService (networking/v1alpha3/virtual_service.proto), Istio 1.1-1.3 fields plus later ones Weft accepts.
import type { Percent, PortSelector } from './port.js';

export interface VirtualService {
  hosts?: string[];
  /** `mesh`, `name` or `namespace/name`; empty means `mesh` only. */
  gateways?: string[];
  http?: HTTPRoute[];
  tls?: TLSRoute[];
  tcp?: TCPRoute[];
  /** `.` or `*` in Istio 1.1-1.4. */
  exportTo?: string[];
}

export interface Destination {
  host?: string;
  subset?: string;
  port?: PortSelector;
}

export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  /** VirtualService chaining (Istio 1.6+). */
  delegate?: Delegate;
  rewrite?: HTTPRewrite;
  /** Deprecated no-op: upgrades are automatic. */
  websocketUpgrade?: boolean;
  timeout?: string;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  /** Istio 1.4; replaced by mirrorPercentage in 1.5. */
  mirrorPercent?: number;
  mirrorPercentage?: Percent;
  corsPolicy?: CorsPolicy;
  headers?: Headers;
  /** Deprecated (1.0-1.4) precursors of `headers`. */
  appendHeaders?: Record<string, string>;
  removeResponseHeaders?: string[];
  appendResponseHeaders?: Record<string, string>;
  removeRequestHeaders?: string[];
  appendRequestHeaders?: Record<string, string>;
}

export interface Delegate {
  name?: string;
  namespace?: string;
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  queryParams?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  withoutHeaders?: Record<string, StringMatch>;
  sourceNamespace?: string;
}

/** Exactly one of exact, prefix, regex. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface HTTPRouteDestination {
  destination?: Destination;
  weight?: number;
  headers?: Headers;
  removeResponseHeaders?: string[];
  appendResponseHeaders?: Record<string, string>;
  removeRequestHeaders?: string[];
  appendRequestHeaders?: Record<string, string>;
}

export interface RouteDestination {
  destination?: Destination;
  weight?: number;
}

export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceSubnet?: string;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TLSMatchAttributes {
  sniHosts?: string[];
  destinationSubnets?: string[];
  port?: number;
  sourceSubnet?: string;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TLSRoute {
  match?: TLSMatchAttributes[];
  route?: RouteDestination[];
}

export interface TCPRoute {
  match?: L4MatchAttributes[];
  route?: RouteDestination[];
}

export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  /** 3xx; 301 when unset. */
  redirectCode?: number;
}

export interface HTTPRewrite {
  uri?: string;
  authority?: string;
}

export interface HTTPRetry {
  attempts?: number;
  perTryTimeout?: string;
  /** Comma-separated Envoy retry-on tokens; integers become retriable status codes. */
  retryOn?: string;
  retryRemoteLocalities?: boolean;
}

export interface CorsPolicy {
  allowOrigin?: string[];
  /** Istio 1.5+ replacement for allowOrigin. */
  allowOrigins?: StringMatch[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
}

export interface HTTPFaultInjection {
  delay?: HTTPFaultDelay;
  abort?: HTTPFaultAbort;
}

export interface HTTPFaultDelay {
  /** Deprecated integer percent; use `percentage`. */
  percent?: number;
  fixedDelay?: string;
  /** Declared but never implemented in Istio 1.x. */
  exponentialDelay?: string;
  percentage?: Percent;
}

export interface HTTPFaultAbort {
  /** Deprecated integer percent; use `percentage`. */
  percent?: number;
  httpStatus?: number;
  /** Declared but never implemented in Istio 1.x. */
  grpcStatus?: string;
  /** Declared but never implemented in Istio 1.x. */
  http2Error?: string;
  percentage?: Percent;
}
