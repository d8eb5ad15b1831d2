// Which .proto files Weft loads: Envoy's v3 API (shipped in @grpc/grpc-js-xds) and Istio's own
// wire APIs (ours, in proto/). The list lives in proto/manifest.json, shared with scripts/gen-protos.mjs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const xdsDeps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

/** This package's proto/ folder (src/proto and dist/proto are both two levels below the package). */
export const ISTIO_PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');

/** Include directories, searched in order for every import. */
export const PROTO_INCLUDE_DIRS: readonly string[] = [
  ISTIO_PROTO_DIR,
  join(xdsDeps, 'envoy-api'),
  join(xdsDeps, 'xds'),
  join(xdsDeps, 'googleapis'),
  join(xdsDeps, 'protoc-gen-validate'),
];

interface Manifest {
  envoy: string[];
  istio: string[];
}

const manifest = JSON.parse(readFileSync(join(ISTIO_PROTO_DIR, 'manifest.json'), 'utf8')) as Manifest;

/** Envoy v3 files whose messages Weft sends, receives or reads from a bootstrap. */
export const ENVOY_PROTO_FILES: readonly string[] = manifest.envoy;

/** Istio's wire APIs, written by us with Istio's package names and field numbers. */
export const ISTIO_PROTO_FILES: readonly string[] = manifest.istio;

export const ALL_PROTO_FILES: readonly string[] = [...ENVOY_PROTO_FILES, ...ISTIO_PROTO_FILES];
