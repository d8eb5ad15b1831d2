// Original file: packages/api/proto/mixer/v1/attributes.proto


export interface StringMap {
  'entries'?: ({[key: number]: number});
}

export interface StringMap__Output {
  'entries': ({[key: number]: number});
}
