// Public API of @weft/proxy: named exports only.
export { main, weftProxy } from './main.js';
export { ProxyErrors } from './errors.js';
export { ProxyServer, type ProxyServerOptions } from './server/proxy-server.js';
export { parseBootstrap, loadBootstrap } from './config/bootstrap.js';
