// The loaded .proto set: protobufjs types for encoding, decoding, Any packing and proto3 JSON.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { ALL_PROTO_FILES, ISTIO_PROTO_DIR, PROTO_INCLUDE_DIRS } from './files.js';
import { readProto3Json, writeProto3Json, type JsonIssue, type JsonValue } from './proto-json.js';

// google/protobuf/descriptor.proto (imported by the validate and udpa annotations) is not among
// protobufjs's bundled files by default; register it the way @grpc/proto-loader does.
const descriptorJson = createRequire(import.meta.url)('protobufjs/google/protobuf/descriptor.json') as {
  nested: { google: { nested: { protobuf: { nested: protobuf.INamespace['nested'] } } } };
};
protobuf.common('descriptor', descriptorJson.nested.google.nested.protobuf.nested as never);
// protobufjs's bundled struct.proto names Value's fields in camelCase; the real file (and every other
// message here, loaded with keepCase) uses proto names. proto/google-struct.json restores them.
const structJson = JSON.parse(readFileSync(join(ISTIO_PROTO_DIR, 'google-struct.json'), 'utf8')) as { nested: unknown };
protobuf.common('struct', structJson.nested as never);

/** How decoded messages are turned into plain objects everywhere in Weft (matches the generated `__Output` types). */
export const DECODE_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** The two spellings of TypedStruct: a message given as a Struct plus its type URL. */
export const TYPED_STRUCT_URLS: ReadonlySet<string> = new Set([`${TYPE_URL_PREFIX}udpa.type.v1.TypedStruct`, `${TYPE_URL_PREFIX}xds.type.v3.TypedStruct`]);

/** google.protobuf.Any in the registry's object form (original proto field names, as everywhere). */
export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

export class ProtoRegistry {
  readonly root: protobuf.Root;
  private readonly types = new Map<string, protobuf.Type>();

  constructor(root: protobuf.Root) {
    this.root = root;
  }

  /** The message type by full name (`envoy.config.cluster.v3.Cluster`), or a type URL. */
  type(nameOrUrl: string): protobuf.Type {
    const name = nameOrUrl.startsWith(TYPE_URL_PREFIX) ? nameOrUrl.slice(TYPE_URL_PREFIX.length) : nameOrUrl;
    let t = this.types.get(name);
    if (!t) {
      t = this.root.lookupType(name);
      this.types.set(name, t);
    }
    return t;
  }

  has(nameOrUrl: string): boolean {
    try {
      this.type(nameOrUrl);
      return true;
    } catch {
      return false;
    }
  }

  service(name: string): protobuf.Service {
    return this.root.lookupService(name);
  }

  /** Encodes a plain object (proto field names); enums may be names, Any values pre-encoded bytes. */
  encode(name: string, object: object): Uint8Array {
    const t = this.type(name);
    return t.encode(t.fromObject(object as Record<string, unknown>)).finish();
  }

  decode<T = Record<string, unknown>>(name: string, bytes: Uint8Array): T {
    const t = this.type(name);
    return t.toObject(t.decode(bytes), DECODE_OPTIONS) as T;
  }

  /** Packs a message into an Any. The bytes are produced once here and can be shared by every send. */
  pack(name: string, object: object): AnyMessage {
    return { type_url: TYPE_URL_PREFIX + name, value: this.encode(name, object) };
  }

  /**
   * Decodes an Any. A `udpa.type.v1.TypedStruct` or `xds.type.v3.TypedStruct` (how istiod sends the
   * configs of Istio's own filters) unpacks to the message it wraps: its Struct is read as that
   * message's proto3 JSON. Config-time only (it re-encodes). Throws, as for undecodable bytes, when the wrapped type is unknown or the
   * Struct does not fit it.
   */
  unpack<T = Record<string, unknown>>(any: AnyMessage): T {
    if (!TYPED_STRUCT_URLS.has(any.type_url)) return this.decode<T>(any.type_url, any.value);
    const ts = this.decode<{ type_url: string; value: object | null }>(any.type_url, any.value);
    const json = ts.value ? this.toJson('google.protobuf.Struct', ts.value) : {};
    const r = this.readJson<T>(ts.type_url, json);
    if (!r.value) throw new Error(`TypedStruct ${ts.type_url}: ${r.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    // Through the wire form, so the result has exactly the shape decode() gives (defaults, oneof names).
    return this.decode<T>(ts.type_url, this.encode(ts.type_url, r.value));
  }

  /** The type URL an Any stands for: its own, or for a TypedStruct the wrapped message's. */
  typeUrlOf(any: AnyMessage): string {
    if (!TYPED_STRUCT_URLS.has(any.type_url)) return any.type_url;
    return this.decode<{ type_url: string }>(any.type_url, any.value).type_url;
  }

  /**
   * Proto3 JSON (or YAML read as JSON; camelCase or proto field names) → the registry's object
   * form. Every problem is returned with its path; `value` is present only when there are none.
   */
  readJson<T = Record<string, unknown>>(name: string, json: unknown): { value?: T; issues: JsonIssue[] } {
    return readProto3Json(this.root, this.type(name), json) as { value?: T; issues: JsonIssue[] };
  }

  /** Object form → proto3 JSON with lowerCamelCase names and defaults omitted, as Envoy's /config_dump prints. */
  toJson(name: string, object: object): JsonValue {
    return writeProto3Json(this.root, this.type(name), object);
  }
}

/** Loads .proto files resolving imports through the include directories, as protoc -I would. */
export function loadProtoRoot(
  files: readonly string[] = ALL_PROTO_FILES,
  includeDirs: readonly string[] = PROTO_INCLUDE_DIRS,
): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  // keepCase: field names stay as in the .proto (snake_case), uniformly, including the well-known
  // types that protobufjs bundles; proto3 JSON's lowerCamelCase is handled by proto-json.ts.
  root.loadSync([...files], { keepCase: true, alternateCommentMode: false });
  root.resolveAll();
  return root;
}

let shared: ProtoRegistry | undefined;

/**
 * The process-wide registry of every Weft proto. Loading parses ~300 files (about 0.4 s), so it
 * happens once, on first use; the registry is immutable afterwards.
 */
export function loadProtoRegistry(): ProtoRegistry {
  shared ??= new ProtoRegistry(loadProtoRoot());
  return shared;
}
