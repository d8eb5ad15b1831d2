// Fully qualified protobuf names of the Mixer API (package istio.mixer.v1).

/** The gRPC service: methods /istio.mixer.v1.Mixer/Check and /istio.mixer.v1.Mixer/Report. */
export const MIXER_SERVICE = 'istio.mixer.v1.Mixer';

/** Message type names, for the proto registry. */
export const MixerMessage = {
  CheckRequest: 'istio.mixer.v1.CheckRequest',
  CheckResponse: 'istio.mixer.v1.CheckResponse',
  ReportRequest: 'istio.mixer.v1.ReportRequest',
  ReportResponse: 'istio.mixer.v1.ReportResponse',
  CompressedAttributes: 'istio.mixer.v1.CompressedAttributes',
  ReferencedAttributes: 'istio.mixer.v1.ReferencedAttributes',
  Attributes: 'istio.mixer.v1.Attributes',
} as const;
