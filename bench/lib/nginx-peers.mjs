// The upstream (nginx serving fixed bodies) and the nginx and haproxy peers, each as one process
// group with its own config file in the run's temp dir, listening on 127.0.0.1 only.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, get, startServer, waitFor } from './processes.mjs';

/** Response bodies the upstream serves, by path. */
export const BODIES = { '1k': 1024, '64k': 65536 };

/** nginx settings every nginx here shares: foreground, logs to stderr, temp files in `dir`. */
function nginxCommon(dir) {
  return `daemon off;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
`;
}

function nginxHttpCommon(dir) {
  return `access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 10000000;
  keepalive_timeout 120s;`;
}

/**
 * @param {string} name @param {string} dir @param {string} config @param {string | undefined} cpus
 * @param {number} port the HTTP/1.1 port, checked for readiness
 */
async function startNginx(name, dir, config, cpus, port) {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  await writeFile(file, config);
  const server = startServer(name, 'nginx', ['-p', dir, '-c', file, '-e', 'stderr'], { cpus });
  await waitFor(`${name} to serve`, async () => {
    if (server.child.exitCode !== null) throw new Error(`${name} exited: ${server.tail()}`);
    return (await get(`http://127.0.0.1:${port}/1k`)).status === 200;
  });
  return server;
}

/**
 * The upstream every peer fronts: nginx, one worker, serving /1k and /64k from files (HTTP/1.1 on
 * `port`, h2c with prior knowledge on `h2Port`).
 * @param {string} dir @param {string | undefined} cpus
 */
export async function startUpstream(dir, cpus) {
  const port = await freePort();
  const h2Port = await freePort();
  const root = join(dir, 'root');
  await mkdir(root, { recursive: true });
  for (const [path, size] of Object.entries(BODIES)) await writeFile(join(root, path), Buffer.alloc(size, 'x'));
  const config = `${nginxCommon(dir)}worker_processes 1;
http {
  ${nginxHttpCommon(dir)}
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    listen 127.0.0.1:${h2Port} http2;
    root ${root};
  }
}
`;
  const server = await startNginx('upstream', dir, config, cpus, port);
  return { server, port, h2Port };
}

/**
 * Peer (b): nginx, one worker, keep-alive connections to the upstream.
 * @param {string} dir @param {number} upstreamPort @param {string | undefined} cpus
 */
export async function startNginxPeer(dir, upstreamPort, cpus) {
  const port = await freePort();
  const h2Port = await freePort();
  const config = `${nginxCommon(dir)}worker_processes 1;
http {
  ${nginxHttpCommon(dir)}
  upstream backend {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    listen 127.0.0.1:${h2Port} http2;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
`;
  const server = await startNginx('nginx', dir, config, cpus, port);
  return { server, port, h2Port };
}

/**
 * Peer (c): haproxy with one thread, connections to the upstream reused (http-reuse safe, the default).
 * @param {string} dir @param {number} upstreamPort @param {string | undefined} cpus
 */
export async function startHaproxyPeer(dir, upstreamPort, cpus) {
  const port = await freePort();
  const h2Port = await freePort();
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'haproxy.cfg');
  await writeFile(
    file,
    `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend http1
  bind 127.0.0.1:${port}
  default_backend upstream
frontend h2c
  bind 127.0.0.1:${h2Port} proto h2
  default_backend upstream
backend upstream
  server upstream 127.0.0.1:${upstreamPort}
`,
  );
  // -db: foreground, one process (no master-worker); -f: this config only.
  const server = startServer('haproxy', 'haproxy', ['-db', '-f', file], { cpus });
  await waitFor('haproxy to serve', async () => {
    if (server.child.exitCode !== null) throw new Error(`haproxy exited: ${server.tail()}`);
    return (await get(`http://127.0.0.1:${port}/1k`)).status === 200;
  });
  return { server, port, h2Port };
}
