// Original file: packages/api/proto/mcp/v1alpha1/metadata.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';

export interface Metadata {
  'name'?: (string);
  'create_time'?: (_google_protobuf_Timestamp | null);
  'version'?: (string);
  'labels'?: ({[key: string]: string});
  'annotations'?: ({[key: string]: string});
}

export interface Metadata__Output {
  'name': (string);
  'create_time': (_google_protobuf_Timestamp__Output | null);
  'version': (string);
  'labels': ({[key: string]: string});
  'annotations': ({[key: string]: string});
}
