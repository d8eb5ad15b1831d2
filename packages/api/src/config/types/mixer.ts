// config.istio.io/v1alpha2 Mixer model (policy/v1beta1/cfg.proto): rules bind instances to handlers.

export interface MixerRule {
  /** CEXL expression; empty means true. */
  match?: string;
  actions?: MixerAction[];
  requestHeaderOperations?: MixerHeaderOperation[];
  responseHeaderOperations?: MixerHeaderOperation[];
  sampling?: MixerSampling;
}

export interface MixerAction {
  /** `name`, `name.namespace`, or legacy `name.kind[.namespace]`. */
  handler?: string;
  instances?: string[];
  name?: string;
}

export interface MixerHeaderOperation {
  name?: string;
  values?: string[];
  operation?: 'REPLACE' | 'REMOVE' | 'APPEND';
}

export interface MixerSampling {
  random?: MixerRandomSampling;
  rateLimit?: MixerRateLimitSampling;
}

export interface MixerRandomSampling {
  attributeExpression?: string;
  percentSampled?: FractionalPercent;
  useIndependentRandomness?: boolean;
}

export interface FractionalPercent {
  numerator?: number;
  denominator?: 'HUNDRED' | 'TEN_THOUSAND';
}

export interface MixerRateLimitSampling {
  samplingDuration?: string;
  maxUnsampledEntries?: number;
  samplingRate?: number;
}

export interface MixerHandler {
  name?: string;
  compiledAdapter?: string;
  adapter?: string;
  /** Adapter configuration, opaque here. */
  params?: unknown;
  connection?: MixerConnection;
}

export interface MixerConnection {
  address?: string;
  timeout?: string;
  authentication?: unknown;
}

export interface MixerInstance {
  name?: string;
  compiledTemplate?: string;
  template?: string;
  /** Template fields as expressions, opaque here. */
  params?: unknown;
  attributeBindings?: Record<string, string>;
}

export type AttributeValueType =
  | 'VALUE_TYPE_UNSPECIFIED'
  | 'STRING'
  | 'INT64'
  | 'DOUBLE'
  | 'BOOL'
  | 'TIMESTAMP'
  | 'IP_ADDRESS'
  | 'EMAIL_ADDRESS'
  | 'URI'
  | 'DNS_NAME'
  | 'DURATION'
  | 'STRING_MAP';

export interface AttributeManifest {
  revision?: string;
  name?: string;
  attributes?: Record<string, AttributeInfo>;
}

export interface AttributeInfo {
  description?: string;
  valueType?: AttributeValueType;
}

/** Specs Weft keeps opaque: legacy per-adapter/per-template kinds, adapter, template, HTTPAPISpec... */
export type OpaqueSpec = Record<string, unknown>;
