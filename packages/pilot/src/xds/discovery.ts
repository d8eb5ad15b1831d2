// Turns the current MeshSnapshot into per-proxy-group xDS snapshots and publishes them to the cache.
// Stage order (STYLE habit 15): snapshot → generate per group → consistency check → publish.
import { createHash } from 'node:crypto';
import { TYPE_SHORT_NAMES, TypeUrl, type Node__Output, type ProtoRegistry } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { makeResource, Snapshot, SnapshotPool, type Resource, type SnapshotCache, type StreamInfo } from '@weft/xds';
import type { MeshSnapshot } from '../model/mesh-snapshot.js';
import { nodeInput } from '../model/node-metadata.js';
import { parseProxy, type Proxy } from '../model/proxy.js';
import { clustersForHostnames } from '../networking/endpoint/eds.js';
import { outboundShareKey, type GeneratorContext } from '../networking/generator.js';
import { selectSidecar, sidecarKey, sidecarScope, type SidecarScope } from '../networking/sidecar-scope.js';
import { SERVED_TYPES, type GeneratorMap, type GeneratorSets } from './generators.js';
import type { PushRequest } from './push-request.js';

export interface ConnectedProxy {
  readonly proxy: Proxy;
  readonly group: string;
  readonly streams: Set<number>;
  readonly connectedAt: string;
}

export interface PushStatus {
  readonly version: string;
  readonly at: string;
  readonly groups: number;
  /** `full`: every type regenerated; `eds`: only the ClusterLoadAssignments of `edsUpdates` (incremental). */
  readonly scope: 'full' | 'eds';
  /** Hosts whose endpoints an incremental push carried (sorted). */
  readonly edsUpdates: readonly string[];
  /** The types the push regenerated (short names: CDS, EDS, LDS, RDS); the others were kept. */
  readonly types: readonly string[];
  /** Groups that got a new snapshot, and the resources generated for them (shared ones counted once). */
  readonly groupsChanged: number;
  readonly resourcesGenerated: number;
  /** Time spent generating and publishing, in milliseconds. */
  readonly ms: number;
  /** Groups whose generated snapshot failed the consistency check (not published). */
  readonly inconsistent: readonly { group: string; errors: readonly string[] }[];
  /** Groups whose generation threw (a bug; the previous snapshot stays). */
  readonly failed: readonly { group: string; error: string }[];
}

export interface DiscoveryOptions {
  readonly registry: ProtoRegistry;
  readonly cache: SnapshotCache;
  readonly generators: GeneratorSets;
  readonly logger: Logger;
  readonly onPushed?: (group: string, changedTypes: readonly string[], request: PushRequest | undefined) => void;
  /** Milliseconds a push generates before it yields to the event loop (default 20). */
  readonly sliceMs?: number;
}

/**
 * The group of a node: proxies whose generated config is the same share one snapshot. Everything
 * generation reads is in the key (type, IPs, namespace, labels, generator, metadata) except the pod name.
 */
export function nodeGroupKey(proxy: Proxy): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([proxy.type, proxy.ipAddresses, proxy.namespace, proxy.dnsDomain, proxy.generator ?? '', proxy.metadata, proxy.locality ?? '']));
  return `${proxy.type}~${proxy.ipAddresses[0]}~${proxy.namespace}~${h.digest('base64url').slice(0, 12)}`;
}

interface PublishResult {
  readonly inconsistent?: string[];
  readonly failed?: string;
  /** A new snapshot was published. */
  readonly changed?: boolean;
}

/**
 * What one push shares across proxies: encoded resources (by object identity, then by content),
 * sidecar scopes, and the generators' shared work (GeneratorContext.shared).
 */
class PushMemo {
  /** Resources by content: this push's (and, for an incremental push, the ones it builds on). */
  readonly byContent: Map<string, Resource>;
  /** Distinct resources this push generated. */
  generated = 0;
  readonly byObject = new WeakMap<object, Resource>();
  /** Lists of the resources a push keeps from the snapshots in force, by their (pooled) map. */
  readonly kept = new WeakMap<ReadonlyMap<string, Resource>, Resource[]>();
  /** Consistency errors by the groups' type versions (one check per distinct content). */
  readonly consistency = new Map<string, string[]>();
  /** Type versions of the lists shared by several groups (computed once). */
  readonly versions = new WeakMap<readonly Resource[], string>();
  readonly byList = new WeakMap<readonly object[], { readonly typeUrl: string; readonly resources: Resource[] }>();
  readonly shared = new Map<string, unknown>();
  /** Per-type resource maps shared by the groups' snapshots (equal type versions, one map). */
  readonly pool = new SnapshotPool();
  /** Incremental pushes: what one previous EDS version becomes, for every group that held it. */
  readonly endpointUpdates = new Map<string, { readonly changed: readonly Resource[]; readonly version: string } | null>();
  private readonly scopes = new Map<string, SidecarScope>();

  /**
   * `previous`: the resources in force by content, so an unchanged resource is not encoded again and
   * keeps its identity. A full push keeps only what it uses; an incremental one adds to them.
   */
  constructor(
    readonly previous?: ReadonlyMap<string, Resource>,
    inherit = false,
  ) {
    this.byContent = inherit && previous ? new Map(previous) : new Map();
  }

  /** sidecarScope reads the proxy's type and namespace, and its labels only to pick the Sidecar. */
  scope(mesh: MeshSnapshot, proxy: Proxy): SidecarScope {
    const sidecar = proxy.type === 'sidecar' ? selectSidecar(mesh, proxy) : undefined;
    const key = `${proxy.type}|${proxy.namespace}|${sidecarKey(sidecar)}`;
    let scope = this.scopes.get(key);
    if (!scope) {
      scope = sidecarScope(mesh, proxy);
      this.scopes.set(key, scope);
    }
    return scope;
  }
}

/** A type's version: a hash of its resources' names and versions, in order. */
function typeVersion(list: readonly Resource[]): string {
  let text = '';
  for (const r of list) text += `${r.name}\u0000${r.version}\u0000`;
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/** The previous version when `list` holds the very resources `previous` does, in the same order. */
function sameResources(previous: ReadonlyMap<string, Resource>, list: readonly Resource[]): boolean {
  if (previous.size !== list.length) return false;
  let i = 0;
  for (const r of previous.values()) if (r !== list[i++]) return false;
  return true;
}

export class Discovery {
  private readonly log: Logger;
  private mesh: MeshSnapshot | undefined;
  private readonly byStream = new Map<number, ConnectedProxy>();
  private readonly byGroup = new Map<string, ConnectedProxy>();
  private lastStatus: PushStatus | undefined;
  /** The shared work of the last push, for proxies connecting after it (same mesh). */
  private memo: PushMemo | undefined;
  /** How long a push generates before it lets the event loop run (DiscoveryOptions.sliceMs). */
  private readonly sliceMs: number;

  constructor(private readonly options: DiscoveryOptions) {
    this.log = moduleLogger(options.logger, 'xds.discovery');
    this.sliceMs = options.sliceMs ?? 20;
  }

  /** Groups of the node objects seen: a stream keeps its first request's node, so each is parsed once. */
  private readonly groupsByNode = new WeakMap<Node__Output, string>();

  /** The cache's node-group function (asked on every request of every stream): parses a node once. */
  readonly nodeGroup = (node: Node__Output): string => {
    let group = this.groupsByNode.get(node);
    if (group === undefined) {
      const parsed = parseProxy(nodeInput(this.options.registry, node));
      group = parsed.ok ? nodeGroupKey(parsed.value) : `invalid~${node.id}`;
      this.groupsByNode.set(node, group);
    }
    return group;
  };

  current(): MeshSnapshot | undefined {
    return this.mesh;
  }

  status(): PushStatus | undefined {
    return this.lastStatus;
  }

  proxies(): ConnectedProxy[] {
    return [...new Set(this.byStream.values())];
  }

  /** The group of a connected stream (cheap: no node parsing, for per-ACK bookkeeping). */
  groupOfStream(streamId: number): string | undefined {
    return this.byStream.get(streamId)?.group;
  }

  /** The connected proxy with this `pod.namespace` ID (or full node ID). */
  findProxy(id: string): ConnectedProxy | undefined {
    return this.proxies().find((p) => p.proxy.id === id || p.proxy.nodeId === id);
  }

  /** Called when a stream's first request arrives: generate for its group unless already there. */
  connect(stream: StreamInfo): void {
    const parsed = parseProxy(nodeInput(this.options.registry, stream.node));
    if (!parsed.ok) {
      this.log.warn({ node: stream.node.id, peer: stream.peer, reason: parsed.error }, 'rejecting proxy with an invalid node; it will get no config');
      return;
    }
    const group = nodeGroupKey(parsed.value);
    let entry = this.byGroup.get(group);
    if (!entry) {
      entry = { proxy: parsed.value, group, streams: new Set(), connectedAt: new Date().toISOString() };
      this.byGroup.set(group, entry);
    }
    entry.streams.add(stream.id);
    this.byStream.set(stream.id, entry);
    this.log.info({ proxy: parsed.value.id, type: parsed.value.type, group, stream: stream.id }, 'proxy connected');
    if (this.mesh && !this.options.cache.getSnapshot(group)) this.publish(entry, this.mesh, undefined, (this.memo ??= new PushMemo()));
  }

  disconnect(stream: StreamInfo): void {
    const entry = this.byStream.get(stream.id);
    if (!entry) return;
    this.byStream.delete(stream.id);
    entry.streams.delete(stream.id);
    if (entry.streams.size === 0) {
      this.byGroup.delete(entry.group);
      this.options.cache.clearSnapshot(entry.group);
    }
    this.log.info({ proxy: entry.proxy.id, stream: stream.id }, 'proxy disconnected');
  }

  /**
   * A push. Full (`request.full`, or no request): regenerate every connected group from `mesh` and
   * publish what passes the checks. Incremental (`full: false`): only the ClusterLoadAssignments of
   * the hosts in `request.edsUpdates`, for the groups that have them; every other resource stays.
   */
  async push(mesh: MeshSnapshot, request?: PushRequest): Promise<PushStatus> {
    const started = Date.now();
    this.mesh = mesh;
    const incremental = request !== undefined && !request.full;
    const inconsistent: { group: string; errors: string[] }[] = [];
    const failed: { group: string; error: string }[] = [];
    // Equal resources are encoded once per push and shared by every group that has them.
    // An incremental push regenerates a few resources: it keeps the full push's memo as its base.
    const memo = new PushMemo(this.memo?.byContent, incremental);
    // Proxies that connect before the next push are generated from `mesh` too: they share this work.
    this.memo = memo;
    let groupsChanged = 0;
    // Generation runs in slices: between them the event loop sends what is published, takes ACKs and
    // new connections, so the first proxies converge while the others are generated.
    let slice = Date.now();
    for (const entry of [...this.byGroup.values()]) {
      if (Date.now() - slice >= this.sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        slice = Date.now();
      }
      // Gone meanwhile, or re-created by a reconnect (which published from this mesh already).
      if (this.byGroup.get(entry.group) !== entry) continue;
      const r = incremental ? this.publishEndpoints(entry, mesh, request, memo) : this.publish(entry, mesh, request, memo);
      if (r.inconsistent) inconsistent.push({ group: entry.group, errors: r.inconsistent });
      if (r.failed) failed.push({ group: entry.group, error: r.failed });
      if (r.changed) groupsChanged++;
    }
    this.lastStatus = {
      version: mesh.version,
      at: new Date().toISOString(),
      groups: this.byGroup.size,
      scope: incremental ? 'eds' : 'full',
      edsUpdates: incremental ? [...request.edsUpdates].sort() : [],
      types: (incremental ? [TypeUrl.ClusterLoadAssignment] : SERVED_TYPES.filter((t) => !request?.types || request.types.has(t))).map((t) => TYPE_SHORT_NAMES[t] ?? t),
      groupsChanged,
      resourcesGenerated: memo.generated,
      ms: Date.now() - started,
      inconsistent,
      failed,
    };
    return this.lastStatus;
  }

  /** What Pilot would send a proxy now (for /debug/config_dump). */
  generate(proxy: Proxy, mesh: MeshSnapshot): Map<string, Resource[]> {
    return this.generateMemo(proxy, mesh, new PushMemo());
  }

  private resource(typeUrl: string, name: string, messageType: string, object: object, memo: PushMemo): Resource {
    // Work shared by generators comes back as the same object: no need to look at its content.
    const known = memo.byObject.get(object);
    if (known && known.name === name && known.typeUrl === typeUrl) return known;
    let r: Resource | undefined;
    if (typeUrl === TypeUrl.RouteConfiguration) {
      // Route configs are large (a virtual host per service) and change with any VirtualService or
      // service of their scope: encoding them is needed then anyway, and its content hash (the
      // resource version) is a cheaper key than their JSON.
      const made = makeResource(this.options.registry, typeUrl, object, { name });
      const key = `${messageType}\u0000${name}\u0000#${made.version}`;
      r = memo.byContent.get(key) ?? memo.previous?.get(key);
      if (!r) {
        r = made;
        memo.generated++;
      }
      memo.byContent.set(key, r);
    } else {
      const key = `${messageType}\u0000${name}\u0000${JSON.stringify(object)}`;
      r = memo.byContent.get(key);
      if (!r) {
        r = memo.previous?.get(key) ?? makeResource(this.options.registry, typeUrl, object, { name });
        memo.byContent.set(key, r);
        memo.generated++;
      }
    }
    memo.byObject.set(object, r);
    return r;
  }

  /**
   * The incremental push of one group: its ClusterLoadAssignments for `request.edsUpdates` are
   * regenerated in place; the other types keep their resources and versions, so only EDS is sent.
   * A group with no snapshot yet gets a full one.
   */
  private publishEndpoints(entry: ConnectedProxy, mesh: MeshSnapshot, request: PushRequest, memo: PushMemo): PublishResult {
    const previous = this.options.cache.getSnapshot(entry.group);
    if (!previous) return this.publish(entry, mesh, request, memo);
    const eds = TypeUrl.ClusterLoadAssignment;
    const held = previous.resources(eds);
    // Groups holding the same EDS version (and outbound scope) hold the same assignments: the
    // update is worked out once for all of them.
    const ctx = this.context(entry.proxy, mesh, memo);
    const updateKey = `${outboundShareKey(ctx)}|${previous.typeVersion(eds)}`;
    let update = memo.endpointUpdates.get(updateKey);
    if (update === undefined) {
      const affected = clustersForHostnames(held.keys(), request.edsUpdates);
      const gen = this.generatorsFor(entry.proxy).get(eds);
      let regenerated: Resource[] = [];
      try {
        if (gen && affected.length > 0) regenerated = gen(ctx, affected).map((g) => this.resource(eds, g.name, g.messageType, g.resource, memo));
      } catch (e) {
        this.log.error({ err: e, group: entry.group, proxy: entry.proxy.id }, 'endpoint generation failed; the proxy keeps its last config');
        return { failed: String((e as Error).message ?? e) };
      }
      const changed = regenerated.filter((r) => held.get(r.name)?.version !== r.version);
      if (changed.length === 0) update = null;
      else {
        // The new type version follows from the previous one and what changed: no need to hash every
        // assignment of the group again. (Versions are opaque; SotW EDS responses carry only what a
        // stream lacks, so a later full push with equal content resends nothing either way.)
        const v = createHash('sha256').update(previous.typeVersion(eds));
        for (const r of changed) v.update('\u0000').update(r.name).update('\u0000').update(r.version);
        update = { changed, version: v.digest('base64url').slice(0, 16) };
      }
      memo.endpointUpdates.set(updateKey, update);
    }
    if (!update) return {};
    // The names are those of the previous (consistent) snapshot: no reference can have broken.
    this.options.cache.setSnapshot(entry.group, previous.withResources(eds, update.changed, update.version, mesh.version, memo.pool));
    this.log.debug({ group: entry.group, changed: ['EDS'], clusters: update.changed.length }, 'snapshot published (endpoints)');
    this.options.onPushed?.(entry.group, [eds], request);
    return { changed: true };
  }

  private publish(entry: ConnectedProxy, mesh: MeshSnapshot, request: PushRequest | undefined, memo: PushMemo): PublishResult {
    const previous = this.options.cache.getSnapshot(entry.group);
    // A push that can change only some types keeps the others from the snapshot in force.
    const only = previous ? request?.types : undefined;
    let resources: Map<string, Resource[]>;
    try {
      resources = this.generateMemo(entry.proxy, mesh, memo, only);
    } catch (e) {
      this.log.error({ err: e, group: entry.group, proxy: entry.proxy.id }, 'config generation failed; the proxy keeps its last config');
      return { failed: String((e as Error).message ?? e) };
    }
    if (only && previous) {
      for (const typeUrl of previous.typeUrls()) {
        if (only.has(typeUrl)) continue;
        const held = previous.resources(typeUrl);
        let list = memo.kept.get(held);
        if (!list) memo.kept.set(held, (list = [...held.values()]));
        memo.versions.set(list, previous.typeVersion(typeUrl));
        resources.set(typeUrl, list);
      }
    }
    const typeVersions: Record<string, string> = {};
    const changed: string[] = [];
    for (const [typeUrl, list] of resources) {
      // Versions are content hashes: an unchanged type keeps its version, so the cache does not resend it.
      let version = memo.versions.get(list);
      if (version === undefined) {
        version = previous && sameResources(previous.resources(typeUrl), list) ? previous.typeVersion(typeUrl) : typeVersion(list);
        memo.versions.set(list, version);
      }
      typeVersions[typeUrl] = version;
      if (previous?.typeVersion(typeUrl) !== version) changed.push(typeUrl);
    }
    const snapshot = Snapshot.create({ version: mesh.version, resources: Object.fromEntries(resources), typeVersions }, memo.pool);
    // Equal type versions are equal content: a set of them checked for one group is checked for all.
    const contentKey = SERVED_TYPES.map((t) => typeVersions[t] ?? '').join('|');
    let errors = memo.consistency.get(contentKey);
    if (errors === undefined) {
      errors = snapshot.checkConsistency().errors.map((i) => `${i.path}: ${i.message}`);
      memo.consistency.set(contentKey, errors);
    }
    if (errors.length > 0) {
      this.log.error({ group: entry.group, proxy: entry.proxy.id, errors }, 'generated config is inconsistent; not pushed');
      return { inconsistent: errors };
    }
    if (changed.length === 0 && previous) return {};
    this.options.cache.setSnapshot(entry.group, snapshot);
    this.log.debug({ group: entry.group, changed: changed.map((t) => TYPE_SHORT_NAMES[t] ?? t) }, 'snapshot published');
    this.options.onPushed?.(entry.group, changed, request);
    return { changed: true };
  }

  /** A generator context within a push: the memo's shared scope and work. */
  private context(proxy: Proxy, mesh: MeshSnapshot, memo: PushMemo): GeneratorContext {
    return { snapshot: mesh, proxy, scope: memo.scope(mesh, proxy), shared: memo.shared };
  }

  /** Proxyless gRPC clients (node metadata GENERATOR: grpc) have their own generators. */
  private generatorsFor(proxy: Proxy): GeneratorMap {
    return proxy.generator === 'grpc' ? this.options.generators.grpc : this.options.generators.envoy;
  }

  private generateMemo(proxy: Proxy, mesh: MeshSnapshot, memo: PushMemo, only?: ReadonlySet<string>): Map<string, Resource[]> {
    const ctx = this.context(proxy, mesh, memo);
    const set = this.generatorsFor(proxy);
    const out = new Map<string, Resource[]>();
    for (const typeUrl of SERVED_TYPES) {
      const gen = set.get(typeUrl);
      if (!gen || (only && !only.has(typeUrl))) continue;
      const generated = gen(ctx);
      // A list the generator shared across proxies (e.g. all of an outbound scope's assignments) is
      // converted once per push.
      let list = memo.byList.get(generated);
      if (!list || list.typeUrl !== typeUrl) {
        list = { typeUrl, resources: generated.map((g) => this.resource(typeUrl, g.name, g.messageType, g.resource, memo)) };
        memo.byList.set(generated, list);
      }
      out.set(typeUrl, list.resources);
    }
    return out;
  }
}
