// Original file: packages/api/proto/mixer/v1/check.proto


// Original file: packages/api/proto/mixer/v1/check.proto

export const _istio_mixer_v1_HeaderOperation_Operation = {
  REPLACE: 'REPLACE',
  REMOVE: 'REMOVE',
  APPEND: 'APPEND',
} as const;

export type _istio_mixer_v1_HeaderOperation_Operation =
  | 'REPLACE'
  | 0
  | 'REMOVE'
  | 1
  | 'APPEND'
  | 2

export type _istio_mixer_v1_HeaderOperation_Operation__Output = typeof _istio_mixer_v1_HeaderOperation_Operation[keyof typeof _istio_mixer_v1_HeaderOperation_Operation]

export interface HeaderOperation {
  'name'?: (string);
  'value'?: (string);
  'operation'?: (_istio_mixer_v1_HeaderOperation_Operation);
}

export interface HeaderOperation__Output {
  'name': (string);
  'value': (string);
  'operation': (_istio_mixer_v1_HeaderOperation_Operation__Output);
}
