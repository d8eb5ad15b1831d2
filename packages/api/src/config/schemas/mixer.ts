// Field schemas for the config.istio.io/v1alpha2 Mixer kinds Weft types in full.
import type {
  AttributeInfo, AttributeManifest, FractionalPercent, MixerAction, MixerConnection, MixerHandler, MixerHeaderOperation,
  MixerInstance, MixerRandomSampling, MixerRateLimitSampling, MixerRule, MixerSampling,
} from '../types/mixer.js';
import { bool, dur, enm, i64, list, map, type MessageSchema, msg, str, strList, strMap, struct, u32 } from '../validate/schema.js';

const ActionSchema: MessageSchema<MixerAction> = { name: 'Action', fields: { handler: str, instances: strList, name: str } };

const HeaderOperationSchema: MessageSchema<MixerHeaderOperation> = {
  name: 'Rule.HeaderOperationTemplate',
  fields: { name: str, values: strList, operation: enm('REPLACE', 'REMOVE', 'APPEND') },
};

const FractionalPercentSchema: MessageSchema<FractionalPercent> = {
  name: 'FractionalPercent',
  fields: { numerator: u32, denominator: enm('HUNDRED', 'TEN_THOUSAND') },
};

const RandomSamplingSchema: MessageSchema<MixerRandomSampling> = {
  name: 'RandomSampling',
  fields: { attributeExpression: str, percentSampled: msg(() => FractionalPercentSchema), useIndependentRandomness: bool },
};

const RateLimitSamplingSchema: MessageSchema<MixerRateLimitSampling> = {
  name: 'RateLimitSampling',
  fields: { samplingDuration: dur, maxUnsampledEntries: i64, samplingRate: i64 },
};

const SamplingSchema: MessageSchema<MixerSampling> = {
  name: 'Sampling',
  fields: { random: msg(() => RandomSamplingSchema), rateLimit: msg(() => RateLimitSamplingSchema) },
};

export const MixerRuleSchema: MessageSchema<MixerRule> = {
  name: 'Rule',
  fields: {
    match: str,
    actions: list(msg(() => ActionSchema)),
    requestHeaderOperations: list(msg(() => HeaderOperationSchema)),
    responseHeaderOperations: list(msg(() => HeaderOperationSchema)),
    sampling: msg(() => SamplingSchema),
  },
};

const ConnectionSchema: MessageSchema<MixerConnection> = {
  name: 'Connection',
  fields: { address: str, timeout: dur, authentication: struct },
};

export const MixerHandlerSchema: MessageSchema<MixerHandler> = {
  name: 'Handler',
  fields: { name: str, compiledAdapter: str, adapter: str, params: struct, connection: msg(() => ConnectionSchema) },
  oneofs: [['compiledAdapter', 'adapter']],
};

export const MixerInstanceSchema: MessageSchema<MixerInstance> = {
  name: 'Instance',
  fields: { name: str, compiledTemplate: str, template: str, params: struct, attributeBindings: strMap },
  oneofs: [['compiledTemplate', 'template']],
};

const AttributeInfoSchema: MessageSchema<AttributeInfo> = {
  name: 'AttributeManifest.AttributeInfo',
  fields: {
    description: str,
    valueType: enm(
      'VALUE_TYPE_UNSPECIFIED', 'STRING', 'INT64', 'DOUBLE', 'BOOL', 'TIMESTAMP', 'IP_ADDRESS', 'EMAIL_ADDRESS', 'URI',
      'DNS_NAME', 'DURATION', 'STRING_MAP',
    ),
  },
};

export const AttributeManifestSchema: MessageSchema<AttributeManifest> = {
  name: 'AttributeManifest',
  fields: { revision: str, name: str, attributes: map(msg(() => AttributeInfoSchema)) },
};
