#!/usr/bin/env node
// `npm start`: the demo mesh. Builds what is out of date (nx's cache makes this quick when nothing
// changed), runs `weftctl local up` with the Weather Forecast sample, prints `Ingress: URL` once the
// frontend answers through the ingress gateway, and stops everything on Ctrl-C (weftctl removes
// every namespace, rule, file and process it created). Extra arguments go to `weftctl local up`,
// e.g. `npm start -- --ingress-port 9080`.
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nxBin } from './nx-bin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const extra = process.argv.slice(2);
const say = (line) => process.stdout.write(`${line}\n`);

if (process.getuid?.() !== 0) {
  process.stderr.write(
    'npm start: the demo mesh needs root (it creates network namespaces, a bridge and iptables rules).\n' +
      'Run it as root, e.g. `sudo npm start`.\n',
  );
  process.exit(1);
}

say('weft: building (nx run-many -t build; cached when up to date)');
const build = spawnSync(process.execPath, [nxBin(), 'run-many', '-t', 'build', '--output-style=static'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, NX_TUI: 'false', NX_DAEMON: process.env.NX_DAEMON ?? 'false' },
});
if (build.status !== 0) {
  process.stderr.write('npm start: the build failed (see above); `npm run build` shows the details.\n');
  process.exit(1);
}

const flagValue = (name, fallback) => {
  const i = extra.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return fallback;
  return extra[i].includes('=') ? extra[i].slice(name.length + 1) : extra[i + 1];
};
const host = flagValue('--ingress-host', '127.0.0.1');
const port = Number(flagValue('--ingress-port', '8080'));
const url = `http://${host}:${port}/`;

const sample = join(root, 'samples', 'weather');
const up = spawn(process.execPath, [join(root, 'packages', 'ctl', 'bin', 'weftctl.js'), 'local', 'up', '-f', join(sample, 'kube'), '-f', join(sample, 'istio'), ...extra], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});

let announced = false;
let stopping = false;
let buffered = '';
up.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffered = (buffered + chunk.toString()).slice(-4096);
  if (!announced && /weft local: ready/.test(buffered)) {
    announced = true;
    waitForFrontend().then(
      () => say(`Ingress: ${url}`),
      (e) => process.stderr.write(`npm start: the frontend did not answer through ${url}: ${e.message}\n`),
    );
  }
});

/** GET / through the gateway until the frontend's page comes back (bounded: 2 minutes). */
async function waitForFrontend() {
  const deadline = Date.now() + 120_000;
  let last = 'no answer yet';
  while (Date.now() < deadline && !stopping) {
    const r = await get(url).catch((e) => ({ status: 0, body: e.message }));
    if (r.status === 200 && /weather/i.test(r.body)) return;
    last = r.status ? `HTTP ${r.status}` : r.body;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(last);
}

function get(target) {
  return new Promise((resolve, reject) => {
    const req = request(target, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

// Ctrl-C reaches weftctl too (same process group); forward it when it came from elsewhere (kill).
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    if (up.exitCode === null) up.kill(sig);
  });
}
up.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
