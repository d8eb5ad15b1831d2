import { describe, expect, it } from 'vitest';
import { GLOBAL_WORD_COUNT, GLOBAL_WORD_INDEX, GLOBAL_WORDS } from './global-dictionary.js';

describe('GLOBAL_WORDS (Istio 1.3 mixer/v1/global_dictionary.yaml)', () => {
  it('has the 221 words a 1.3 proxy declares in global_word_count', () => {
    expect(GLOBAL_WORDS).toHaveLength(221);
    expect(GLOBAL_WORD_COUNT).toBe(221);
  });

  it('has no duplicate words (the YAML file forbids them)', () => {
    expect(new Set(GLOBAL_WORDS).size).toBe(GLOBAL_WORDS.length);
    expect(GLOBAL_WORD_INDEX.size).toBe(GLOBAL_WORDS.length);
  });

  // Positions read off the authoritative list; the position is the wire encoding.
  it.each([
    [0, 'source.ip'],
    [1, 'source.port'],
    [6, 'source.user'],
    [7, 'target.ip'],
    [15, 'request.headers'],
    [17, 'request.path'],
    [18, 'request.host'],
    [30, 'response.code'],
    [31, ':authority'],
    [32, ':method'],
    [90, 'GET'],
    [94, "'200'"],
    [102, 'x-request-id'],
    [113, 'true'],
    [124, 'tcp'],
    [131, 'context.protocol'],
    [136, '200'],
    [152, 'destination.service'],
    [174, 'source.principal'],
    [177, 'connection.mtls'],
    [193, 'destination.service.host'],
    [201, 'context.reporter.kind'],
    [202, 'connection.requested_server_name'],
    [205, 'context.proxy_error_code'],
    [218, '"-"'],
    [219, 'inbound'],
    [220, 'outbound'],
  ])('word %i is %s', (index, word) => {
    expect(GLOBAL_WORDS[index]).toBe(word);
    expect(GLOBAL_WORD_INDEX.get(word)).toBe(index);
  });

  it('keeps quoted YAML entries verbatim, as Istio generators do', () => {
    // '200' (with quotes) and 200 are different words; so are '0' and 0.
    expect(GLOBAL_WORDS.indexOf("'0'")).toBe(111);
    expect(GLOBAL_WORDS.indexOf('0')).toBe(134);
  });

  it('cannot be mutated', () => {
    expect(Object.isFrozen(GLOBAL_WORDS)).toBe(true);
  });
});
