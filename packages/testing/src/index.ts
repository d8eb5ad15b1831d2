// Public API of @weft/testing (dev only): fakes and builders for tests.
export { captureIO, type CapturedIO } from './capture-io.js';
