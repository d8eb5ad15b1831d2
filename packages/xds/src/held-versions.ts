// What a SotW client holds of a partial type (EDS, RDS): name → version, kept as a reference to the
// resources the last answer was computed against plus this stream's own differences. Every SotW
// answer for these types leaves the client holding each subscribed resource of that map at its version
// (answer.ts sends whatever differs), so in steady state a stream stores two references instead of a
// map of 1,200 names: 2,000 sidecars subscribed to every cluster's endpoints held ~100 MB of maps.
import type { Resource } from './resource.js';

/** What a watch reads: the version the client holds of a name, undefined when it holds none. */
export interface HeldLookup {
  get(name: string): string | undefined;
  /** The basis when the client holds exactly it (no differences of its own): answers can then be diffs of maps. */
  exactBasis?(): AnswerBasis | undefined;
}

/** What a Delta watch reads: the lookup, and every name held (to find removals). */
export interface HeldState extends HeldLookup {
  keys(): Iterable<string>;
}

/** The resources an answer was computed against, and the names it covered (undefined: all of them). */
export interface AnswerBasis {
  readonly resources: ReadonlyMap<string, Resource>;
  readonly names: ReadonlySet<string> | undefined;
}

export class HeldVersions implements HeldState {
  private basis: AnswerBasis | undefined;
  /** Where the client differs from `basis`: the version it holds, or undefined for a name it does not hold. */
  private readonly diff = new Map<string, string | undefined>();

  get(name: string): string | undefined {
    if (this.diff.has(name)) return this.diff.get(name);
    return this.covers(name) ? this.basis?.resources.get(name)?.version : undefined;
  }

  exactBasis(): AnswerBasis | undefined {
    return this.diff.size === 0 ? this.basis : undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /**
   * After a response answering `basis` in full: the client holds each covered resource of it at its
   * version. What it held besides is forgotten (resent if ever asked for again, never wrongly kept).
   */
  rebase(basis: AnswerBasis): void {
    this.basis = basis;
    this.diff.clear();
  }

  /** After a response not known to be complete: each sent resource is held at its version. */
  sent(resources: readonly Resource[]): void {
    for (const r of resources) this.diff.set(r.name, r.version);
  }

  /** One name held at `version` (Delta initial_resource_versions, or a response applied name by name). */
  set(name: string, version: string): this {
    this.diff.set(name, version);
    return this;
  }

  /** One name no longer held (unsubscribed, removed, or to be sent again). */
  delete(name: string): boolean {
    const had = this.has(name);
    if (this.covers(name)) this.diff.set(name, undefined);
    else this.diff.delete(name);
    return had;
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this) yield name;
  }

  /** The subscription is now `names`: everything else is no longer held; `forget` hears each name dropped. */
  keepOnly(names: ReadonlySet<string>, forget: (name: string) => void): void {
    for (const [name, version] of this.diff) {
      if (names.has(name)) continue;
      if (this.covers(name)) this.diff.set(name, undefined);
      else this.diff.delete(name);
      if (version !== undefined) forget(name);
    }
    const basis = this.basis;
    if (!basis || basis.names === names) return;
    const covered = basis.names ?? basis.resources.keys();
    for (const name of covered) {
      if (names.has(name) || this.diff.has(name)) continue;
      this.diff.set(name, undefined);
      if (basis.resources.has(name)) forget(name);
    }
  }

  /** name → version of everything held, in no particular order. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    const basis = this.basis;
    if (basis) {
      for (const name of basis.names ?? basis.resources.keys()) {
        if (this.diff.has(name)) continue;
        const r = basis.resources.get(name);
        if (r) yield [name, r.version];
      }
    }
    for (const [name, version] of this.diff) if (version !== undefined) yield [name, version];
  }

  private covers(name: string): boolean {
    const basis = this.basis;
    return basis !== undefined && (basis.names === undefined || basis.names.has(name));
  }
}
