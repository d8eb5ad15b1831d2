import { describe, expect, it } from 'vitest';
import { parseListenAddress } from './listen-address.js';

describe('parseListenAddress', () => {
  it.each([
    [':15010', { host: '0.0.0.0', port: 15010 }],
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['localhost:15014', { host: 'localhost', port: 15014 }],
  ])('%s', (text, want) => expect(parseListenAddress(text)).toEqual(want));

  it.each(['15010', 'host', ':99999', ':x'])('rejects %j', (text) => expect(parseListenAddress(text)).toBeUndefined());
});
