// Original file: packages/api/proto/envoy/config/filter/http/alpn/v2alpha1/config.proto


export interface _istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_AlpnOverride {
  'upstream_protocol'?: (_istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_Protocol);
  'alpn_override'?: (string)[];
}

export interface _istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_AlpnOverride__Output {
  'upstream_protocol': (_istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_Protocol__Output);
  'alpn_override': (string)[];
}

// Original file: packages/api/proto/envoy/config/filter/http/alpn/v2alpha1/config.proto

export const _istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_Protocol = {
  HTTP10: 'HTTP10',
  HTTP11: 'HTTP11',
  HTTP2: 'HTTP2',
} as const;

export type _istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_Protocol =
  | 'HTTP10'
  | 0
  | 'HTTP11'
  | 1
  | 'HTTP2'
  | 2

export type _istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_Protocol__Output = typeof _istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_Protocol[keyof typeof _istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_Protocol]

export interface FilterConfig {
  'alpn_override'?: (_istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_AlpnOverride)[];
}

export interface FilterConfig__Output {
  'alpn_override': (_istio_envoy_config_filter_http_alpn_v2alpha1_FilterConfig_AlpnOverride__Output)[];
}
