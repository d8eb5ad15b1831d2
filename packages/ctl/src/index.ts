// Public API of @weft/ctl: named exports only.
export { main, weftctl } from './main.js';
export { CtlErrors } from './errors.js';
export { TcpForwarder, type ForwardTarget } from './local/tcp-forwarder.js';
