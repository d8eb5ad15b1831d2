// What a spec validator may know about the object around the spec (some Istio rules depend on the name).
import type { Ctx } from './context.js';

export interface ObjectInfo {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly clusterScoped: boolean;
  /** Cursor at `metadata`, for rules about the name (e.g. MeshPolicy must be "default"). */
  readonly meta: Ctx;
}

/** A semantic validator for one kind's decoded spec. */
export type SpecValidator<T> = (spec: T, ctx: Ctx, info: ObjectInfo) => void;
