// Original file: packages/api/proto/mcp/v1alpha1/mcp.proto


export interface SinkNode {
  'id'?: (string);
  'annotations'?: ({[key: string]: string});
}

export interface SinkNode__Output {
  'id': (string);
  'annotations': ({[key: string]: string});
}
