#!/usr/bin/env node
// Regenerates packages/api/src/generated (TypeScript types for every loaded .proto) with
// @grpc/proto-loader's generator. The output is committed and never edited by hand; CI reruns
// this script and fails when the committed files differ.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const api = join(repo, 'packages', 'api');
const require = createRequire(join(api, 'package.json'));
const xdsDeps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const generator = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build', 'bin', 'proto-loader-gen-types.js');
const manifest = JSON.parse(readFileSync(join(api, 'proto', 'manifest.json'), 'utf8'));
const outDir = join(api, 'src', 'generated');

if (!existsSync(generator)) throw new Error(`proto-loader-gen-types not found at ${generator}`);
rmSync(outDir, { recursive: true, force: true });
// Options must match DECODE_OPTIONS in src/proto/registry.ts.
execFileSync(
  process.execPath,
  [
    '--require',
    join(repo, 'scripts', 'protobuf-preload.cjs'),
    generator,
    ...manifest.envoy,
    ...manifest.istio,
    '--keepCase',
    '--longs=String',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '-O',
    outDir,
    '-I',
    join(api, 'proto'),
    join(xdsDeps, 'envoy-api'),
    join(xdsDeps, 'xds'),
    join(xdsDeps, 'googleapis'),
    join(xdsDeps, 'protoc-gen-validate'),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'], cwd: repo },
);

// The generator writes extensionless relative imports (NodeNext ESM needs `.js`) and absolute paths.
let files = 0;
for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8')
    .replace(/(from '\.{1,2}\/[^']+?)(?<!\.js)';/g, "$1.js';")
    // Keep the header machine-independent: paths relative to the repository root.
    .split(`${repo}/`)
    .join('');
  writeFileSync(file, text);
  files++;
}
console.log(`generated ${files} type files in ${outDir}`);
