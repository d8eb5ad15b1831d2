// tcp-echo: a TCP echo server on :9000 that answers each line it receives with PREFIX (default: the
// version) and a space before it, e.g. `hello` → `v1 hello`, as Istio's tcp-echo sample does. A
// connection stays open until the client closes it; on SIGTERM the server stops accepting, half-
// closes every connection once what it received is answered, and exits when they are gone.
import net from 'node:net';
import { configOrExit } from './lib/config.mjs';
import { createLogger } from './lib/log.mjs';
import { onShutdown } from './lib/shutdown.mjs';

const MAX_LINE = 64 * 1024;

const config = configOrExit(process.env, { service: 'tcp-echo', defaultPort: 9000 });
const prefix = process.env.PREFIX || config.version;
const log = createLogger(config);
const open = new Set();
let connections = 0;

const server = net.createServer((socket) => {
  connections++;
  open.add(socket);
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  log.debug('connection', { peer, connections });
  let pending = '';
  const echo = (line) => socket.write(`${prefix} ${line.replace(/\r$/, '')}\n`);
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      echo(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
    // A line longer than MAX_LINE is answered in pieces rather than buffered without bound.
    if (pending.length > MAX_LINE) {
      echo(pending);
      pending = '';
    }
  });
  socket.on('end', () => {
    if (pending) echo(pending);
    pending = '';
    socket.end();
  });
  socket.on('error', (e) => log.warn('connection error', { peer, error: e.message }));
  socket.on('close', () => open.delete(socket));
});

server.on('error', (e) => {
  log.error('server error', { error: e.message, code: e.code });
  process.exit(1);
});
server.listen(config.port, config.bindAddress, () => {
  const { address, port } = server.address();
  log.info('listening', { address: `${address}:${port}`, port, prefix });
});

onShutdown({ log, timeoutMs: config.shutdownTimeoutMs }, {
  drain: () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of open) s.end();
    }),
  force: () => {
    for (const s of open) s.destroy();
  },
});
