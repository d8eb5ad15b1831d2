// Field schemas for the shared port and selector messages.
import type { Percent, Port, PortSelector, SecurityWorkloadSelector, WorkloadSelector } from '../types/port.js';
import { dbl, type MessageSchema, str, strMap, u32 } from '../validate/schema.js';

export const PortSchema: MessageSchema<Port> = { name: 'Port', fields: { number: u32, protocol: str, name: str } };

export const PortSelectorSchema: MessageSchema<PortSelector> = {
  name: 'PortSelector',
  fields: { number: u32, name: str },
  oneofs: [['number', 'name']],
};

export const WorkloadSelectorSchema: MessageSchema<WorkloadSelector> = { name: 'WorkloadSelector', fields: { labels: strMap } };

export const SecurityWorkloadSelectorSchema: MessageSchema<SecurityWorkloadSelector> = {
  name: 'WorkloadSelector',
  fields: { matchLabels: strMap },
};

export const PercentSchema: MessageSchema<Percent> = { name: 'Percent', fields: { value: dbl } };
