// An immutable, versioned set of resources for one node group (go-control-plane's Snapshot).
import { TYPE_SHORT_NAMES, TypeUrl } from '@weft/api';
import { err, ok, type Issue, type Result, type WeftError } from '@weft/base';
import { XdsErrors } from './errors.js';
import type { Resource } from './resource.js';

export interface SnapshotInit {
  /** The version of every type, unless `typeVersions` overrides it. Must not be empty. */
  version: string;
  /** Resources by type URL. A type absent here is not served by this snapshot (its watches wait). */
  resources: Readonly<Partial<Record<string, readonly Resource[]>>>;
  /** Per-type versions, so that an EDS-only change need not re-send CDS (Pilot's incremental push). */
  typeVersions?: Readonly<Partial<Record<string, string>>>;
}

export interface ConsistencyReport {
  readonly errors: readonly Issue[];
  readonly warnings: readonly Issue[];
}

/** Parent type → the type its references point at. */
const REFERENCE_PAIRS: ReadonlyArray<readonly [parent: string, child: string]> = [
  [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment],
  [TypeUrl.Listener, TypeUrl.RouteConfiguration],
];

function short(typeUrl: string): string {
  return TYPE_SHORT_NAMES[typeUrl] ?? typeUrl;
}

interface TypeEntry {
  readonly version: string;
  readonly items: ReadonlyMap<string, Resource>;
}

/**
 * Shares the per-type resource maps of snapshots built with it: a type whose version another
 * snapshot of the pool already has reuses that snapshot's map (versions are content hashes, so equal
 * versions hold equal resources). Memory then grows with distinct content, not with node groups.
 */
export class SnapshotPool {
  private readonly entries = new Map<string, TypeEntry>();

  /** @internal */
  entry(typeUrl: string, version: string, build: () => Map<string, Resource>): TypeEntry {
    const key = `${typeUrl}\u0000${version}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { version, items: build() };
      this.entries.set(key, e);
    }
    return e;
  }
}

export class Snapshot {
  /** The default version given at creation (per-type versions may differ). */
  readonly version: string;
  private readonly types: ReadonlyMap<string, TypeEntry>;

  private constructor(version: string, types: ReadonlyMap<string, TypeEntry>) {
    this.version = version;
    this.types = types;
  }

  /** Builds a snapshot; throws on duplicate names, misplaced types or empty versions (caller bugs). */
  static create(init: SnapshotInit, pool?: SnapshotPool): Snapshot {
    if (init.version === '') throw XdsErrors.EMPTY_VERSION(['snapshot']);
    const types = new Map<string, TypeEntry>();
    for (const [typeUrl, list] of Object.entries(init.resources)) {
      if (!list) continue;
      const version = init.typeVersions?.[typeUrl] ?? init.version;
      if (version === '') throw XdsErrors.EMPTY_VERSION([short(typeUrl)]);
      const build = () => {
        const items = new Map<string, Resource>();
        for (const r of list) {
          if (r.typeUrl !== typeUrl) throw XdsErrors.TYPE_MISMATCH([r.name, r.typeUrl, typeUrl]);
          if (items.has(r.name)) throw XdsErrors.DUPLICATE_RESOURCE([short(typeUrl), r.name]);
          items.set(r.name, r);
        }
        return items;
      };
      // Only per-type versions are content hashes; the snapshot-wide default is not.
      const pooled = pool && init.typeVersions?.[typeUrl] !== undefined;
      types.set(typeUrl, pooled ? pool.entry(typeUrl, version, build) : { version, items: build() });
    }
    return new Snapshot(init.version, types);
  }

  /**
   * A copy in which `resources` replace (or join) those of the same names of one type, at
   * `typeVersion`; every other type is shared with this snapshot. For incremental pushes, where the
   * names referenced across types do not change.
   */
  withResources(typeUrl: string, resources: readonly Resource[], typeVersion: string, version = this.version, pool?: SnapshotPool): Snapshot {
    if (typeVersion === '' || version === '') throw XdsErrors.EMPTY_VERSION([short(typeUrl)]);
    const build = () => {
      const items = new Map(this.types.get(typeUrl)?.items);
      for (const r of resources) {
        if (r.typeUrl !== typeUrl) throw XdsErrors.TYPE_MISMATCH([r.name, r.typeUrl, typeUrl]);
        items.set(r.name, r);
      }
      return items;
    };
    const types = new Map(this.types);
    types.set(typeUrl, pool ? pool.entry(typeUrl, typeVersion, build) : { version: typeVersion, items: build() });
    return new Snapshot(version, types);
  }

  /** The version of one type, or '' when the snapshot does not serve it. */
  typeVersion(typeUrl: string): string {
    return this.types.get(typeUrl)?.version ?? '';
  }

  /** True when the snapshot lists the type (possibly with no resources). */
  serves(typeUrl: string): boolean {
    return this.types.has(typeUrl);
  }

  resources(typeUrl: string): ReadonlyMap<string, Resource> {
    return this.types.get(typeUrl)?.items ?? new Map();
  }

  typeUrls(): string[] {
    return [...this.types.keys()];
  }

  /**
   * go-control-plane's Consistent(): the RouteConfigurations must be exactly those the listeners name,
   * and the ClusterLoadAssignments exactly those the EDS clusters name. Shapes that were not inspected
   * (scoped routes, custom cluster types, resources packed elsewhere) become warnings, not errors.
   */
  checkConsistency(): ConsistencyReport {
    const errors: Issue[] = [];
    const warnings: Issue[] = [];
    for (const [parentType, childType] of REFERENCE_PAIRS) {
      const parents = this.types.get(parentType);
      const children = this.types.get(childType);
      if (!parents) continue;
      if (!children) {
        if (parents.items.size > 0) warnings.push({ path: short(childType), message: 'not in this snapshot; references not checked' });
        continue;
      }
      const referenced = new Set<string>();
      // An unreferenced child is an error only when every parent was fully inspected: a scoped-routes
      // listener or a custom cluster may be the one that needs it.
      let fullyInspected = true;
      for (const parent of parents.items.values()) {
        const path = `${short(parentType)}:${parent.name}`;
        if (!parent.references) {
          fullyInspected = false;
          warnings.push({ path, message: 'references not inspected (resource built without the registry)' });
          continue;
        }
        if (parent.references.notes.length > 0) fullyInspected = false;
        for (const note of parent.references.notes) warnings.push({ path, message: note });
        for (const name of parent.references.names) {
          referenced.add(name);
          if (!children.items.has(name)) errors.push({ path, message: `references ${short(childType)} "${name}", which the snapshot lacks` });
        }
      }
      for (const name of children.items.keys()) {
        if (referenced.has(name)) continue;
        const issue = { path: `${short(childType)}:${name}`, message: `not referenced by any ${short(parentType)} resource` };
        (fullyInspected ? errors : warnings).push(issue);
      }
    }
    return { errors, warnings };
  }

  /** The snapshot itself when consistent, else WEFT_XDS_INCONSISTENT_SNAPSHOT listing every problem. */
  consistent(): Result<Snapshot, WeftError> {
    const { errors } = this.checkConsistency();
    if (errors.length === 0) return ok(this);
    return err(XdsErrors.INCONSISTENT_SNAPSHOT([this.version, errors.map((e) => `${e.path}: ${e.message}`).join('; ')]));
  }
}
