// Public API of @weft/testing (dev only): fakes and builders for tests.
export { captureIO, type CapturedIO } from './capture-io.js';
export { hasOpenssl, TestPki, type KeyPair } from './test-pki.js';
