// EnvoyFilter is kept opaque: its patches are Envoy-proto shaped and Weft validates them only as an object.

/** Any JSON object; Istio's own EnvoyFilter validation is not reproduced. */
export type EnvoyFilter = Record<string, unknown>;
