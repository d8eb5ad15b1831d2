// Field schema for the envelope's ObjectMeta (Kubernetes fields a config file may carry).
import type { ObjectMeta } from '../envelope.js';
import { i64, list, type MessageSchema, str, strList, strMap, struct } from '../validate/schema.js';

export const ObjectMetaSchema: MessageSchema<ObjectMeta> = {
  name: 'ObjectMeta',
  fields: {
    name: str,
    generateName: str,
    namespace: str,
    labels: strMap,
    annotations: strMap,
    uid: str,
    resourceVersion: str,
    generation: i64,
    creationTimestamp: str,
    deletionTimestamp: str,
    deletionGracePeriodSeconds: i64,
    ownerReferences: list(struct),
    finalizers: strList,
    clusterName: str,
    managedFields: list(struct),
    selfLink: str,
  },
};
