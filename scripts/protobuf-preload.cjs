// Preloaded into proto-loader-gen-types by gen-protos.mjs: gives its protobufjs the same
// google/protobuf/struct.proto (proto field names) that @weft/api's registry uses at run time.
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const loaderDir = dirname(require.resolve('@grpc/proto-loader/package.json'));
const protobuf = require(require.resolve('protobufjs', { paths: [loaderDir] }));
const struct = JSON.parse(readFileSync(join(__dirname, '..', 'packages', 'api', 'proto', 'google-struct.json'), 'utf8'));
protobuf.common('struct', struct.nested);
