// Peer (d): @fastify/http-proxy in one Node process, HTTP/1.1 on one port and h2c on another, both
// forwarding to the upstream over its (undici) keep-alive pool.
// Usage: node fastify-proxy.mjs <upstream-url> <http1-port> <h2c-port>
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const [upstream, port, h2Port] = process.argv.slice(2);
if (!upstream || !port || !h2Port) {
  process.stderr.write('usage: fastify-proxy.mjs <upstream-url> <http1-port> <h2c-port>\n');
  process.exit(2);
}

/** @param {boolean} http2 */
async function serve(http2, listenPort) {
  const app = Fastify({ logger: false, ...(http2 ? { http2: true } : {}) });
  await app.register(proxy, { upstream });
  await app.listen({ host: '127.0.0.1', port: Number(listenPort) });
  return app;
}

const apps = [await serve(false, port), await serve(true, h2Port)];
process.stdout.write(`listening ${port} ${h2Port}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    void Promise.all(apps.map((a) => a.close())).finally(() => process.exit(0));
  });
}
