// Original file: null

import type { NullValue as _google_protobuf_NullValue, NullValue__Output as _google_protobuf_NullValue__Output } from '../../google/protobuf/NullValue.js';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../google/protobuf/Struct.js';
import type { ListValue as _google_protobuf_ListValue, ListValue__Output as _google_protobuf_ListValue__Output } from '../../google/protobuf/ListValue.js';

export interface Value {
  'null_value'?: (_google_protobuf_NullValue);
  'number_value'?: (number | string);
  'string_value'?: (string);
  'bool_value'?: (boolean);
  'struct_value'?: (_google_protobuf_Struct | null);
  'list_value'?: (_google_protobuf_ListValue | null);
  'kind'?: "null_value"|"number_value"|"string_value"|"bool_value"|"struct_value"|"list_value";
}

export interface Value__Output {
  'null_value'?: (_google_protobuf_NullValue__Output);
  'number_value'?: (number);
  'string_value'?: (string);
  'bool_value'?: (boolean);
  'struct_value'?: (_google_protobuf_Struct__Output | null);
  'list_value'?: (_google_protobuf_ListValue__Output | null);
  'kind'?: "null_value"|"number_value"|"string_value"|"bool_value"|"struct_value"|"list_value";
}
