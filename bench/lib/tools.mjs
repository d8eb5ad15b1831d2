// Which of the bench's outside programs are installed, and their versions for the result's metadata.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fortioPath } from './load.mjs';
import { REPO_ROOT } from './node-peers.mjs';

/** Runs `command args` and returns stdout + stderr ('' when it cannot run): nginx -v and wrk -v print to stderr, and wrk -v exits 1. */
function output(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

const onPath = (command) => output('sh', ['-c', `command -v ${command}`]).trim() !== '';

/** The programs the bench needs that are missing. */
export function checkTools(h2) {
  const missing = ['wrk', 'nginx', 'haproxy', 'taskset', ...(h2 ? ['h2load'] : [])].filter((c) => !onPath(c));
  if (!fortioPath()) missing.push('fortio');
  return missing;
}

export async function toolVersions() {
  const first = (text, re) => re.exec(text)?.[1] ?? 'unknown';
  const fortio = fortioPath();
  return {
    wrk: first(output('wrk', ['-v']), /wrk (\S+)/),
    fortio: fortio ? output(fortio, ['version']).trim() : 'missing',
    h2load: first(output('h2load', ['--version']), /nghttp2\/(\S+)/),
    nginx: first(output('nginx', ['-v']), /nginx\/(\S+)/),
    haproxy: first(output('haproxy', ['-v']), /HAProxy version (\S+)/),
    fastify: await packageVersion('fastify'),
    '@fastify/http-proxy': await packageVersion('@fastify/http-proxy'),
  };
}

async function packageVersion(name) {
  try {
    return JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'missing';
  }
}
